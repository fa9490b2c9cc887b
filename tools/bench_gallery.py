"""`make bench`, gallery section: the gallery page with 200 templates, in the Django test client."""

from __future__ import annotations

import io
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client, override_settings

from tools import djangosetup

TARGET_MEDIAN_MS = 50.0
TAGS = ["beach", "wedding", "night", "rain", "school", "festival", "winter", "city", "sunset", "dance"]
WORDS = ["Moonlit", "Rooftop", "Station", "Harbour", "Lantern", "Summer", "Snowy", "Sakura", "Neon", "Garden"]
PLACES = ["walk", "kiss", "goodbye", "picnic", "dance", "date", "promise", "reunion", "selfie", "umbrella"]


def _picture(rng: random.Random) -> bytes:
    from PIL import Image as PILImage
    from PIL import ImageDraw

    picture = PILImage.new("RGB", (640, 480), tuple(rng.randrange(40, 220) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(6):
        x, y = rng.randrange(600), rng.randrange(440)
        draw.ellipse((x, y, x + 40, y + 40), fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _face(x: float, y: float, role: str) -> dict:
    kps = [[x + 25, y + 35], [x + 55, y + 35], [x + 40, y + 50], [x + 28, y + 65], [x + 52, y + 65]]
    return {"box": [x, y, x + 80, y + 80], "kps": kps, "landmarks": None, "score": 0.9, "role": role}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Benchmark the public gallery page with N templates (default 200) on a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--templates", type=int, default=200)
        parser.add_argument("--requests", type=int, default=200, help="Timed requests per scenario.")

    def handle(self, *args: Any, templates: int, requests: int, **options: Any) -> None:
        with tempfile.TemporaryDirectory(prefix="faceswap-bench-gallery-") as tmp:
            media = Path(tmp) / "media"
            if connection.vendor == "sqlite":
                connection.settings_dict["TEST"] = {"NAME": str(Path(tmp) / "bench.sqlite3")}
            db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
            storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}}
            try:
                with override_settings(
                    DEBUG=False, MEDIA_ROOT=media, STORAGES={**settings.STORAGES, "default": storage}
                ):
                    self._run(templates, requests)
            finally:
                connection.creation.destroy_test_db(db_name, verbosity=0)

    def _populate(self, count: int) -> None:
        from gallery.services import image_upload
        from templates.models import Template

        rng = random.Random(20)
        categories = ["acg", "movie", "tv", "custom"]
        for i in range(count):
            category = categories[i % len(categories)]
            image = image_upload(
                owner=None,
                file=SimpleUploadedFile(f"bench-{i}.jpg", _picture(rng)),
                image_type="template",
                category=category,
                tags=rng.sample(TAGS, 3),
            )
            Template.objects.create(
                image=image,
                title=f"{rng.choice(WORDS)} {rng.choice(PLACES)} {i}",
                artist=f"Artist {i % 17}",
                description="A couple scene for the benchmark.",
                category=category,
                face_positions=[_face(120, 140, "husband"), _face(420, 150, "wife")],
                popularity_score=rng.randrange(500),
                is_active=i % 10 != 0,  # some archived ones, as in real life
            )

    def _run(self, count: int, requests: int) -> None:
        started = time.perf_counter()
        self._populate(count)
        setup = time.perf_counter() - started
        client = Client()
        scenarios = [
            ("gallery, popular, page 1", "/templates/"),
            ("newest, page 3", "/templates/?sort=newest&page=3"),
            ("category filter", "/templates/?category=acg"),
            ("tag filter", "/templates/?tag=beach"),
            ("search", "/templates/?q=moonlit"),
            ("template detail", None),
        ]
        from templates.models import Template

        detail = Template.objects.filter(is_active=True).order_by("pk").first()
        db = connection.vendor
        self.stdout.write(
            f"\nGallery page, {count} templates ({db}, CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}, "
            f"Django test client, {requests} requests each; setup {setup:.1f} s)"
        )
        header = f"{'scenario':<28} {'median ms':>10} {'p95 ms':>8} {'queries':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        medians = {}
        for name, url in scenarios:
            url = url or f"/templates/{detail.pk}/"
            for _ in range(10):  # warm-up: template loading, connection, caches
                assert client.get(url).status_code == 200, url
            queries: list[str] = []

            def count(execute: Any, sql: str, *rest: Any, queries: list[str] = queries) -> Any:
                queries.append(sql)
                return execute(sql, *rest)

            # A wrapper rather than CaptureQueriesContext: with CONN_MAX_AGE=0 each request reconnects.
            with connection.execute_wrapper(count):
                client.get(url)
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            medians[name] = statistics.median(times)
            self.stdout.write(f"{name:<28} {medians[name]:>10.1f} {_percentile(times, 0.95):>8.1f} {len(queries):>8}")
        main = medians["gallery, popular, page 1"]
        verdict = "met" if main < TARGET_MEDIAN_MS else "NOT met"
        note = "" if db == "postgresql" else " (the target is stated for PostgreSQL: set DATABASE_URL)"
        self.stdout.write(f"target: gallery median under {TARGET_MEDIAN_MS:.0f} ms: {verdict}{note}\n")


if __name__ == "__main__":
    djangosetup.run(Command)
