from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class User(AbstractUser):
    """A site account (table `users`). Log-in by e-mail or username is handled by allauth."""

    username = models.CharField(
        max_length=100,
        unique=True,
        validators=[AbstractUser.username_validator],
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField(max_length=255, unique=True)
    # The seed names the column password_hash; Django stores its salted hash there.
    password = models.CharField("password", max_length=255, db_column="password_hash")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)
    # The language the person last used the site in (settings.LANGUAGES; "" before they first log in): e-mails
    # sent to them while someone else acts (a curator's takedown, a partner's answer) are written in it.
    language = models.CharField(max_length=10, blank=True, default="", db_default="")

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        db_table = "users"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.username
