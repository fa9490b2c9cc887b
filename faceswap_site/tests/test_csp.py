"""Content-Security-Policy: self only, no inline script anywhere in our templates."""

import re

import pytest
from django.test import Client

from testing import REPO_DIR

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/templates/"])
def test_pages_carry_a_self_only_policy_without_inline_script(client: Client, db, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["style-src"] and directives["object-src"] == "'none'"


def test_no_template_of_ours_has_inline_script_or_style_elements():
    offenders = []
    for template in REPO_DIR.glob("*/templates/**/*.html"):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, STYLE_ELEMENT, EVENT_HANDLER):
            if pattern.search(text):
                offenders.append(f"{template.relative_to(REPO_DIR)}: {pattern.pattern}")
    assert not offenders, offenders
