"""Every word a person reads is translatable: no template holds an unmarked user-facing string, and our
Chinese and Japanese catalogues leave nothing untranslated (or fuzzy)."""

from __future__ import annotations

import gettext
import io
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from django.core.management import call_command
from django.template import Engine
from django.template.base import Node, TextNode, VariableNode
from django.template.defaulttags import CommentNode, IfNode
from django.template.loader_tags import BlockNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

from testing import REPO_DIR, skip_or_fail

# Words that are the same in every language: the site's name. Anything else with letters must be marked.
ALLOWED = ("Couple Face-Swap",)
# Attributes a person reads (or hears from a screen reader); data-* attributes holding a sentence too.
READ_ATTRIBUTES = {"alt", "title", "aria-label", "aria-description", "aria-roledescription", "placeholder", "label"}
HOLE = "\x00"  # where a tag or a variable was: its words are not the template's own
LETTER = re.compile(r"[^\W\d_]")


# Templates with no words of their own whose markup this checker cannot read (a tag name chosen by a condition).
NO_WORDS = {"faceswap_site/templates/allauth/elements/button.html"}


def template_files() -> list[Path]:
    skip = {".venv", "node_modules", "staticfiles", "artifacts", "media", "var"}
    return sorted(
        path
        for path in REPO_DIR.glob("*/templates/**/*.html")
        if not skip.intersection(path.relative_to(REPO_DIR).parts) and str(path.relative_to(REPO_DIR)) not in NO_WORDS
    )


def flatten(nodes) -> str:
    """The template's own text, with every tag and variable replaced by a hole (their branches kept)."""
    out = []
    for node in nodes:
        if isinstance(node, TextNode):
            out.append(node.s)
        elif isinstance(node, (TranslateNode, BlockTranslateNode, VariableNode)):
            out.append(HOLE)
        elif isinstance(node, CommentNode) or (isinstance(node, BlockNode) and node.name.endswith("class")):
            continue  # a comment; a block filling in a class attribute (body_class)
        elif isinstance(node, IfNode):
            out.append(HOLE)
            for _condition, nodelist in node.conditions_nodelists:
                out.append(flatten(nodelist))
                out.append(HOLE)
        elif isinstance(node, Node):
            out.append(HOLE)
            for name in node.child_nodelists:
                out.append(flatten(getattr(node, name, None) or []))
                out.append(HOLE)
    return "".join(out)


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.raw = 0  # inside <script> or <style>

    def _check(self, text: str, where: str) -> None:
        words = text.replace(HOLE, " ")
        for allowed in ALLOWED:
            words = words.replace(allowed, " ")
        if LETTER.search(words):
            self.found.append(f"{where}: {' '.join(words.split())!r}")

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.raw += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            if (
                name in READ_ATTRIBUTES
                or (name == "value" and tag == "input" and attributes.get("type") in ("submit", "button", "reset"))
                or (
                    name == "content"
                    and tag == "meta"
                    and (attributes.get("name") or attributes.get("property") or "").endswith(
                        ("title", "description", "alt")
                    )
                )
                or (name.startswith("data-") and " " in value.replace(HOLE, "").strip())
            ):
                self._check(value, f"<{tag} {name}>")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.raw:
            self.raw -= 1

    def handle_data(self, data):
        if not self.raw:
            self._check(data, "text")


def unmarked_strings(path: Path) -> list[str]:
    engine = Engine.get_default()
    template = engine.from_string(path.read_text())
    parser = _Words()
    parser.feed(flatten(template.nodelist))
    parser.close()
    return parser.found


def test_no_template_holds_an_unmarked_user_facing_string():
    files = template_files()
    assert len(files) > 40
    found = [f"{path.relative_to(REPO_DIR)} {problem}" for path in files for problem in unmarked_strings(path)]
    assert not found, f"{len(found)} unmarked strings (wrap them in {{% translate %}}):\n" + "\n".join(found)


def test_the_checker_finds_what_it_should():
    # A test that could never fail proves nothing: the checker itself, on made-up templates.
    def check(source: str) -> list[str]:
        parser = _Words()
        parser.feed(flatten(Engine.get_default().from_string(source).nodelist))
        return parser.found

    assert check('{% load i18n %}<p>{% translate "Hello" %}</p><img alt="{% translate "A cat" %}">') == []
    assert check("<p>Couple Face-Swap · {{ name }} \u00d7</p><script>var a = 'b';</script>") == []
    assert len(check("<p>Hello</p>")) == 1
    assert len(check('<img alt="A cat" src="x.png">')) == 1
    assert len(check("{% if a %}<button>Save</button>{% endif %}")) == 1
    assert len(check('<input type="submit" value="Send">')) == 1
    assert len(check('<div data-copied="Copied to clipboard"></div>')) == 1
    assert check('<div data-id="abc" data-role="husband"></div>') == []
    assert len(check('<meta property="og:title" content="A couple picture">')) == 1
    assert check('<meta name="robots" content="noindex"><meta property="og:type" content="website">') == []


# --- The catalogues -------------------------------------------------------------------------------------

LANGUAGES = ("zh_Hans", "ja")
# What `make messages` reads (the Makefile's MESSAGES_IGNORE): the product's code, not tools or tests.
SOURCES = ("accounts", "faceswap_site", "gallery", "jobs", "static", "swaps", "templates")


def _needs_gettext() -> str:
    msgfmt = shutil.which("msgfmt")
    if not msgfmt or not shutil.which("xgettext") or not shutil.which("msgmerge"):
        skip_or_fail("needs GNU gettext (apt-get install gettext)")
    return msgfmt


def test_makemessages_leaves_nothing_untranslated_or_fuzzy(tmp_path, settings):
    """`makemessages` over a copy of the code, with our catalogues: every entry translated, none fuzzy."""
    msgfmt = _needs_gettext()
    skip = shutil.ignore_patterns("tests", "__pycache__", "*.pyc", "*.png", "*.jpg", "*.svg", "*.ico", "*.mo")
    for name in SOURCES:
        shutil.copytree(REPO_DIR / name, tmp_path / name, ignore=skip)
    shutil.copytree(REPO_DIR / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for domain in ("django", "djangojs"):
            call_command(
                "makemessages", locale=list(LANGUAGES), domain=domain, no_location=True, no_obsolete=True, verbosity=0
            )
    finally:
        os.chdir(cwd)
    problems = []
    for language in LANGUAGES:
        for domain in ("django", "djangojs"):
            po = tmp_path / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
            stats = subprocess.run(
                [msgfmt, "--check-format", "--statistics", "-o", os.devnull, str(po)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert stats.returncode == 0, stats.stderr
            assert "translated message" in stats.stderr, stats.stderr
            if "untranslated" in stats.stderr or "fuzzy" in stats.stderr:
                untranslated = _untranslated(po)
                problems.append(f"{language}/{domain}: {stats.stderr.strip()} {untranslated[:10]}")
    assert not problems, "add these to locale/*/LC_MESSAGES (make messages):\n" + "\n".join(problems)


def _untranslated(po: Path) -> list[str]:
    """The msgids of untranslated or fuzzy entries (for the failure message)."""
    found = []
    for block in po.read_text().split("\n\n")[1:]:
        msgid = re.search(r'^msgid "(.*)"', block, re.M)
        if "#, fuzzy" in block or re.search(r'^msgstr(\[0\])? ""\n?$', block.strip().split("\n")[-1] + "\n", re.M):
            found.append(msgid.group(1) if msgid else block[:60])
    return found


def test_the_committed_mo_files_are_the_po_files_compiled():
    """The .mo files are committed (no gettext tools needed to run the site): they must match the .po."""
    msgfmt = _needs_gettext()
    for po in sorted((REPO_DIR / "locale").glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} missing: run `make messages`"
        fresh = subprocess.run([msgfmt, "-o", "-", str(po)], capture_output=True, check=True).stdout
        with mo.open("rb") as fh:
            committed = gettext.GNUTranslations(fh)._catalog
        assert gettext.GNUTranslations(io.BytesIO(fresh))._catalog == committed, f"{mo} is stale: run `make messages`"
