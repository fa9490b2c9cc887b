"""Test data for accounts: real users with real (hashed) passwords."""

import itertools

from accounts.models import User

PASSWORD = "correct-horse-battery-staple-42"
_numbers = itertools.count(1)


def user_create(*, username: str | None = None, email: str | None = None, password: str = PASSWORD, **extra) -> User:
    n = next(_numbers)
    username = username or f"person{n}"
    email = email or f"{username}@example.com"
    return User.objects.create_user(username=username, email=email, password=password, **extra)
