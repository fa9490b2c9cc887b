"""Engine test fixtures: the shared people and templates with their faces found."""

import pytest


@pytest.fixture(scope="session")
def photos(faces_dir):
    """People's photos cut from the shared test photos, by name (see testing/samples.py)."""
    from testing import samples

    return samples.people(faces_dir)


@pytest.fixture(scope="session")
def templates(faces_dir, engine):
    """The shared couple photos and the seed_demo templates (crops of insightface's t1.jpg) with their
    faces found, by name."""
    from testing import samples

    return {**samples.templates(faces_dir, engine), **samples.demo_templates(engine)}
