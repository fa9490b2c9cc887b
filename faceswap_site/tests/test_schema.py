"""Schema parity: the live PostgreSQL schema holds every table, column and index of the seed schema.

The seed's SQL is copied below (from shared/seed/schema.md) so the test runs in any clone; when the
shared folder is beside the repo the copy is checked against it too.
"""

import re

import pytest
from django.db import connection

from testing import REPO_DIR, require_postgres

SEED_SQL = """
CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email VARCHAR(255) UNIQUE NOT NULL,
    username VARCHAR(100) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    created_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE images (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    filename VARCHAR(255) NOT NULL,
    storage_path VARCHAR(500) NOT NULL,
    file_size INTEGER,
    width INTEGER,
    height INTEGER,
    image_type VARCHAR(20),
    category VARCHAR(50),
    tags TEXT[],
    uploaded_at TIMESTAMP DEFAULT NOW(),
    metadata JSONB
);
CREATE TABLE templates (
    id SERIAL PRIMARY KEY,
    image_id INTEGER REFERENCES images(id),
    title VARCHAR(255) NOT NULL,
    description TEXT,
    artist VARCHAR(255),
    source_url VARCHAR(500),
    face_count INTEGER DEFAULT 2,
    face_positions JSONB,
    popularity_score INTEGER DEFAULT 0,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE faceswap_tasks (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    template_id INTEGER REFERENCES templates(id),
    husband_image_id INTEGER REFERENCES images(id),
    wife_image_id INTEGER REFERENCES images(id),
    result_image_id INTEGER REFERENCES images(id),
    status VARCHAR(20) DEFAULT 'pending',
    progress INTEGER DEFAULT 0,
    error_message TEXT,
    processing_time FLOAT,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    created_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE crawl_tasks (
    id SERIAL PRIMARY KEY,
    source_type VARCHAR(50),
    search_query TEXT,
    filters JSONB,
    status VARCHAR(20) DEFAULT 'pending',
    images_collected INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT NOW()
);
CREATE INDEX idx_images_user ON images(user_id);
CREATE INDEX idx_images_type ON images(image_type);
CREATE INDEX idx_templates_category ON templates(category);
CREATE INDEX idx_tasks_status ON faceswap_tasks(status);
CREATE INDEX idx_tasks_user ON faceswap_tasks(user_id);
"""

# The one deliberate difference: images.tags is kept by django-taggit (its own tables, linked to images by
# object id), which works on every database the site runs on (SQLite locally, where TEXT[] does not exist).
TAGGIT_COLUMNS = {("images", "tags")}

# Seed type -> the PostgreSQL data_type family it may appear as.
TYPE_FAMILIES = {
    "SERIAL": {"integer"},
    "INTEGER": {"integer"},
    "VARCHAR": {"character varying"},
    "TEXT": {"text"},
    "TIMESTAMP": {"timestamp without time zone", "timestamp with time zone"},
    "BOOLEAN": {"boolean"},
    "JSONB": {"jsonb"},
    "FLOAT": {"double precision"},
}


def seed_tables() -> dict[str, dict[str, tuple[str, bool, int | None]]]:
    """{table: {column: (seed type, nullable, varchar length)}} parsed from SEED_SQL."""
    tables = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", SEED_SQL, re.S):
        columns = {}
        for line in body.strip().splitlines():
            column, kind, *rest = line.strip().rstrip(",").split(" ", 2)
            constraints = rest[0] if rest else ""
            length = re.search(r"\((\d+)\)", kind)
            nullable = "NOT NULL" not in constraints and "PRIMARY KEY" not in constraints
            columns[column] = (re.sub(r"\(.*", "", kind), nullable, int(length.group(1)) if length else None)
        tables[name] = columns
    return tables


def seed_indexes() -> dict[str, tuple[str, str]]:
    return {n: (t, c) for n, t, c in re.findall(r"CREATE INDEX (\w+) ON (\w+)\((\w+)\);", SEED_SQL)}


def test_copy_matches_shared_seed():
    seed_file = REPO_DIR.parent / "shared" / "seed" / "schema.md"
    if not seed_file.exists():
        pytest.skip(f"no shared seed at {seed_file} to compare the copy with")
    seed = seed_file.read_text()
    for statement in re.findall(r"CREATE (?:TABLE|INDEX) .*?;", SEED_SQL, re.S):
        assert statement in seed, f"the copied seed statement is not in schema.md:\n{statement}"


@pytest.mark.server
@pytest.mark.django_db
def test_live_tables_and_columns_match_seed():
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, character_maximum_length "
            "FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        live = {(t, c): (d, n == "YES", length) for t, c, d, n, length in cursor.fetchall()}

    problems = []
    for table, columns in seed_tables().items():
        for column, (kind, nullable, length) in columns.items():
            if (table, column) in TAGGIT_COLUMNS:
                continue
            if (table, column) not in live:
                problems.append(f"{table}.{column} is missing")
                continue
            data_type, live_nullable, live_length = live[(table, column)]
            if data_type not in TYPE_FAMILIES[kind]:
                problems.append(f"{table}.{column} is {data_type}, the seed says {kind}")
            if live_nullable != nullable:
                problems.append(f"{table}.{column} nullable={live_nullable}, the seed says {nullable}")
            if length and live_length != length:
                problems.append(f"{table}.{column} has length {live_length}, the seed says {length}")
    assert not problems, "\n".join(problems)


@pytest.mark.server
@pytest.mark.django_db
def test_live_indexes_match_seed():
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        live = {name: (table, definition) for name, table, definition in cursor.fetchall()}
    for name, (table, column) in seed_indexes().items():
        assert name in live, f"index {name} is missing"
        live_table, definition = live[name]
        assert live_table == table
        assert definition.endswith(f"({column})"), definition


@pytest.mark.server
@pytest.mark.django_db
def test_tags_are_kept_by_taggit_for_images():
    require_postgres()
    from gallery.models import Image

    assert Image._meta.get_field("tags").remote_field.through._meta.db_table in connection.introspection.table_names()


@pytest.mark.django_db
def test_progress_is_constrained_in_the_database():
    from django.db import IntegrityError, transaction

    from swaps.models import FaceSwapTask

    for bad in (-1, 101):
        with pytest.raises(IntegrityError), transaction.atomic():
            FaceSwapTask.objects.create(progress=bad)
    assert FaceSwapTask.objects.create(progress=100).progress == 100
