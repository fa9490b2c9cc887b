"""The crawler refuses what the content gate refuses, counts it, and stores nothing (the real model; the
threshold set just below a safe drawing's measured score, see gallery/tests/test_content_gate.py)."""

from __future__ import annotations

import pytest

from gallery.models import Image
from gallery.tests.test_content_gate import REFUSED_TEXT, measured_score, turned_drawing
from templates.models import Template
from templates.tests.test_crawl import booru, crawl, crawl_settings, outcome_lines, server  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_picture_the_gate_refuses_is_counted_as_refused(booru, crawl_settings):  # noqa: F811
    data = turned_drawing(size=1000)
    score = measured_score(data)
    crawl_settings.CONTENT_GATE_REFUSE_AT = score - 0.02
    booru.add(data)

    task, lines = crawl()

    assert task.images_collected == 0
    assert task.report["refused"] == 1
    [outcome] = outcome_lines(lines)
    assert outcome.startswith("refused") and REFUSED_TEXT in outcome
    assert not Template.objects.exists() and not Image.objects.exists()

    # The same picture below the threshold is collected, its verdict kept for the curator.
    crawl_settings.CONTENT_GATE_REFUSE_AT = score + 0.02
    task, lines = crawl()
    assert task.images_collected == 1, lines
    template = Template.objects.get()
    assert template.image.metadata["content"]["verdict"] == "ok"
