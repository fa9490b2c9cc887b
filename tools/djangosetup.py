"""Start Django for a tool run as a script (`python -m tools.<name>`) rather than as a manage.py command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django
from django.core.management.base import BaseCommand


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceswap_site.settings")
    django.setup()


def run(command: type[BaseCommand], argv: list[str] | None = None) -> None:
    """Set Django up and run a command class with the script's arguments (--help, errors and exit codes as
    manage.py gives them)."""
    setup()
    name = Path(sys.argv[0]).stem
    command().run_from_argv(["python -m tools", name, *(sys.argv[1:] if argv is None else argv)])
