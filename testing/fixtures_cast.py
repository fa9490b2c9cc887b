"""Fixtures of the test cast (testing.cast), for every app's tests: two people and a curator, Alice's photos,
a template."""

import pytest

from testing import cast


@pytest.fixture
def alice(db):
    return cast.user_create(username="alice")


@pytest.fixture
def bob(db):
    return cast.user_create(username="bob")


@pytest.fixture
def curator(db):
    """A curator: staff with every admin permission (a superuser), password cast.PASSWORD."""
    from accounts.models import User

    return User.objects.create_superuser(username="curator", email="curator@example.com", password=cast.PASSWORD)


@pytest.fixture
def alice_photos(alice, faces_dir):
    """Alice's husband photo (a man alone) and wife photo (a woman alone), from the shared photos."""
    return (
        cast.upload_photo(alice, faces_dir / "man_single_obama.jpg"),
        cast.upload_photo(alice, faces_dir / "woman_single_astronaut.png"),
    )


@pytest.fixture
def couple_template(faces_dir, db):
    """The shared close-up couple photo as an active template, its faces found by the engine."""
    return cast.template_from_photo(faces_dir / "couple_man_woman_closeup.jpg")
