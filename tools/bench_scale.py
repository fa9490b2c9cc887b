"""`make bench-scale`: the gallery's queries at 100,000 templates and 1,000,000 swaps, against 200 templates.

The rows are written straight into a throwaway PostgreSQL database with generate_series (no pictures are
stored: the pages only link them), then for each gallery page the queries its view runs are timed one by one
(median of 5) with the top line of their EXPLAIN ANALYZE plan, and the whole page rendered on a cache miss
(median of 10, Django test client, the page cache emptied before each). Targets: every query under 10 ms, a
cache-miss page under 50 ms, a deep page (row 48,000, old page 2000) as fast as the first.

    DATABASE_URL=postgres://... python -m tools.bench_scale [--templates 100000 --swaps 1000000 --users 10000]
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client, override_settings

from tools import djangosetup

WORDS = ["Moonlit", "Rooftop", "Station", "Harbour", "Lantern", "Summer", "Snowy", "Sakura", "Neon", "Garden"]
PLACES = ["walk", "kiss", "goodbye", "picnic", "dance", "date", "promise", "reunion", "selfie", "umbrella"]
FACES = (
    '[{"box": [120, 140, 200, 220], "kps": [[145, 175], [175, 175], [160, 190], [148, 205], [172, 205]],'
    ' "landmarks": null, "score": 0.9, "role": "husband", "source": "manual"},'
    ' {"box": [420, 150, 500, 230], "kps": [[445, 185], [475, 185], [460, 200], [448, 215], [472, 215]],'
    ' "landmarks": null, "score": 0.9, "role": "wife", "source": "manual"}]'
)
TABLES = "template_tag_counts, faceswap_tasks, taggit_taggeditem, taggit_tag, templates, images, users"


def _array(words: list[str]) -> str:
    return "(ARRAY[" + ", ".join(f"'{word}'" for word in words) + "])"


def load(*, templates: int, swaps: int, users: int) -> float:
    """Empty the tables and write the catalogue, its tags, people and their swaps; seconds taken."""
    from django.contrib.contenttypes.models import ContentType

    from gallery.models import Image
    from templates.tag_counts import tag_counts_refresh

    started = time.perf_counter()
    content_type = ContentType.objects.get_for_model(Image).pk
    tags = max(20, templates // 50)
    statements = [
        f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE",
        f"""INSERT INTO users (is_superuser, first_name, last_name, is_staff, is_active, date_joined, username,
                email, password_hash, created_at)
            SELECT false, '', '', false, true, now(), 'bench' || g, 'bench' || g || '@example.com', '!', now()
            FROM generate_series(1, {users}) g""",
        f"""INSERT INTO images (filename, storage_path, file_size, width, height, image_type, category,
                uploaded_at, metadata)
            SELECT 'bench-' || g || '.jpg', 'template/bench/' || g || '.jpg', 200000, 1280, 960, 'template',
                (ARRAY['acg', 'movie', 'tv', 'custom'])[1 + g % 4], now(),
                jsonb_build_object('sha256', md5(g::text) || md5((-g)::text))
            FROM generate_series(1, {templates}) g""",
        f"""INSERT INTO templates (title, description, artist, category, face_count, face_positions,
                popularity_score, is_active, created_at, image_id)
            SELECT {_array(WORDS)}[1 + g % 10] || ' ' || {_array(PLACES)}[1 + (g / 10) % 10] || ' ' || g,
                'A couple scene number ' || g || ' for the benchmark.', 'Artist ' || (g % 997),
                (ARRAY['acg', 'movie', 'tv', 'custom'])[1 + g % 4], 2, '{FACES}'::jsonb,
                floor(power(random(), 3) * 2000)::int, g % 10 <> 0,
                now() - random() * interval '730 days', g
            FROM generate_series(1, {templates}) g""",
        f"""INSERT INTO taggit_tag (name, slug) SELECT 'tag' || g, 'tag' || g FROM generate_series(1, {tags}) g""",
        # About 3 tags a picture, a few tags on many pictures and most on few (as real tags are).
        f"""INSERT INTO taggit_taggeditem (object_id, content_type_id, tag_id)
            SELECT DISTINCT g, {content_type}, 1 + floor(power(random(), 3) * {tags})::int
            FROM generate_series(1, {templates}) g, generate_series(1, 3)
            ON CONFLICT DO NOTHING""",
        f"""INSERT INTO faceswap_tasks (status, progress, processing_time, started_at, completed_at, created_at,
                template_id, user_id)
            SELECT 'completed', 100, 0.5 + random(), t, t + interval '1 second', t,
                1 + floor(random() * {templates})::int, 1 + floor(random() * {users})::int
            FROM (SELECT g, now() - random() * interval '365 days' AS t FROM generate_series(1, {swaps}) g) s""",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        # Index-only scans need the visibility map, and the planner needs statistics.
        cursor.execute("VACUUM ANALYZE")
    tag_counts_refresh()
    return time.perf_counter() - started


def _scenarios() -> list[tuple[str, str]]:
    from templates.catalogue import PAGE_SIZE
    from templates.models import TagCount
    from templates.selectors import template_list_active

    deep = 2000 * PAGE_SIZE - 1
    scenarios = [("popular, page 1", "/templates/"), ("newest, page 1", "/templates/?sort=newest")]
    for sort in ("popular", "newest"):
        ids = list(template_list_active(sort=sort).values_list("pk", flat=True)[deep : deep + 1])
        if ids:
            query = "" if sort == "popular" else "sort=newest&"
            scenarios.append((f"{sort}, row {deep + 1:,} (page 2000)", f"/templates/?{query}after={ids[0]}"))
    tags = list(TagCount.objects.order_by("-template_count").values_list("slug", flat=True))
    scenarios += [
        ("category", "/templates/?category=movie"),
        ("tag, the most used", f"/templates/?tag={tags[0]}"),
        ("tag, a rare one", f"/templates/?tag={tags[-1]}"),
        ("search, one word", "/templates/?q=lantern"),
        ("search, two words", "/templates/?q=moonlit+picnic"),
        ("search, no match", "/templates/?q=zzyzx"),
    ]
    return scenarios


def _explain(sql: str, params: Any) -> tuple[float, str]:
    """(median milliseconds of 5 runs, the plan's top line) for one query."""
    with connection.cursor() as cursor:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append(1000 * (time.perf_counter() - started))
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    # The top line of the plan below any Limit/Aggregate wrapper says how rows are found.
    top = next(
        (line.strip(" ->") for line in plan if not line.lstrip(" ->").startswith(("Limit", "Aggregate"))), plan[0]
    )
    return statistics.median(times), top.split("  (")[0][:70]


def measure(label: str, *, pages: int) -> list[tuple[str, float, float]]:
    """Print each scenario's queries and its cache-miss page time; (scenario, worst query ms, page ms)."""
    from templates.cache import pages_invalidate

    client = Client()
    rows = []
    print(f"\n{label}")
    print(f"{'page':<32} {'query':<34} {'ms':>7}  plan (top line)")
    print("-" * 120)
    for name, url in _scenarios():
        assert client.get(url).status_code == 200, url  # warm-up
        pages_invalidate()
        queries: list[tuple[str, Any]] = []

        def capture(execute, sql, params, many, context, queries=queries):
            queries.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            client.get(url)
        worst = 0.0
        for sql, params in queries:
            if "FROM" not in sql:
                continue
            ms, top = _explain(sql, params)
            worst = max(worst, ms)
            table = sql.split("FROM", 1)[1].split()[0].strip('"')
            print(f"{name:<32} {table[:34]:<34} {ms:>7.2f}  {top}")
        times = []
        for _ in range(pages):
            pages_invalidate()
            started = time.perf_counter()
            client.get(url)
            times.append(1000 * (time.perf_counter() - started))
        page = statistics.median(times)
        print(f"{name:<32} {f'= cache-miss page (median of {pages})':<34} {page:>7.1f}")
        rows.append((name, worst, page))
    return rows


class Command(BaseCommand):
    help = "Gallery queries and cache-miss pages at 100,000 templates and 1,000,000 swaps, and at 200 templates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--templates", type=int, default=100_000)
        parser.add_argument("--swaps", type=int, default=1_000_000)
        parser.add_argument("--users", type=int, default=10_000)
        parser.add_argument("--pages", type=int, default=10, help="Cache-miss page renders timed per page.")

    def handle(self, *args: Any, templates: int, swaps: int, users: int, pages: int, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench-scale measures PostgreSQL's plans: set DATABASE_URL=postgres://...")
        # A database of its own name, never the test suite's.
        connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": None}
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench_scale"
        db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        local = {"default": {"BACKEND": "faceswap_site.cache.LocalCache"}}
        try:
            with override_settings(DEBUG=False, CACHES=local, STORAGE_BACKEND="local"):
                print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
                sizes = [(templates, swaps, users), (200, 2_000, 100)]
                results = {}
                for count, swap_count, user_count in sizes:
                    seconds = load(templates=count, swaps=swap_count, users=user_count)
                    label = (
                        f"{count:,} templates, {swap_count:,} swaps, {user_count:,} people (loaded in {seconds:.0f} s)"
                    )
                    results[count] = measure(label, pages=pages)
                small = {name: page for name, _, page in results[200]}
                print(f"\nSummary: worst query and cache-miss page at {templates:,} against 200 templates")
                print(f"{'page':<32} {'worst query ms':>14} {'page ms':>8} {'page at 200':>12} {'ratio':>6}")
                for name, worst, page in results[templates]:
                    base = small.get(name)
                    ratio = f"{page / base:.2f}" if base else "-"
                    print(f"{name:<32} {worst:>14.2f} {page:>8.1f} {base or 0:>12.1f} {ratio:>6}")
                print("targets: every query under 10 ms, every cache-miss page under 50 ms, page 2000 as page 1")
        finally:
            connection.creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    djangosetup.run(Command)
