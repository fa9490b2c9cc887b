"""Engine test fixtures: the shared people and templates with their faces found."""

import pytest


@pytest.fixture(scope="module")
def photos(faces_dir):
    """People's photos cut from the shared test photos, by name (see tools/samples.py)."""
    from tools import samples

    return samples.people(faces_dir)


@pytest.fixture(scope="module")
def templates(faces_dir, engine):
    """The shared couple photos and the seed_demo templates (crops of insightface's t1.jpg) with their
    faces found, by name."""
    from tools import samples

    return {**samples.templates(faces_dir, engine), **samples.demo_templates(engine)}
