"""The house's rooms: which app may import which (README, "Architecture"), and no import cycles; the same
floors for the names one app gives another in strings: URL names and HTML template names.

Every import in product code counts, the ones inside functions included: they are read from the source
with `ast`, not from what happens to be loaded. URL names are read from `{% url %}` tags in every HTML
template and from `reverse()`, `reverse_lazy()`, `redirect()` and `resolve_url()` calls in Python; a URL
name belongs to the app whose view it leads to. Template names are read from `{% extends %}`,
`{% include %}` and `render()`; one belongs to the app whose label folder it lives in.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from testing import REPO_DIR

OUR_PACKAGES = ("faceengine", "jobs", "accounts", "gallery", "templates", "swaps", "faceswap_site", "tools")
# The floors from the ground up (README, "Architecture"): an app imports its own floor's code and the floors
# below it, never one above. accounts and gallery share a floor but stay apart from each other.
GROUND = ("faceengine", "jobs")
TEST_HELPERS = ("testing", "conftest")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "gallery.services"
    path: str  # its file, relative to the repository
    line: int
    target: str  # the absolute name imported, e.g. "swaps.models" or "faceengine.Face"
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_files() -> list[Path]:
    """Every Python file of the product: the apps and the project package, without tests."""
    files = []
    for package in OUR_PACKAGES:
        if package == "tools":
            continue
        for path in sorted((REPO_DIR / package).rglob("*.py")):
            if "tests" in path.relative_to(REPO_DIR).parts:
                continue
            files.append(path)
    return files


def imports_in(source: str, *, module: str, path: str, is_package: bool = False) -> list[Import]:
    """The absolute names a module's source imports (relative imports resolved)."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend(Import(module, path, child.lineno, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    origin = ".".join([*base, child.module] if child.module else base)
                else:
                    origin = child.module or ""
                found.extend(
                    Import(module, path, child.lineno, f"{origin}.{alias.name}", in_function) for alias in child.names
                )
            visit(child, nested)

    visit(tree, False)
    return found


def all_imports() -> list[Import]:
    result = []
    for path in product_files():
        result.extend(
            imports_in(
                path.read_text(),
                module=module_name(path),
                path=str(path.relative_to(REPO_DIR)),
                is_package=path.name == "__init__.py",
            )
        )
    return result


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def allowed(importer: str, target: str) -> bool:
    """The boundary rule for one import (targets outside our packages are always allowed, but Django
    in the ground floor)."""
    if any(_within(target, helper) for helper in TEST_HELPERS) or ".tests." in f".{target}.":
        return False
    app = importer.split(".")[0]
    if app in GROUND:
        if app == "faceengine" and target.split(".")[0] in ("django", "rq", "django_rq"):
            return False
        return not any(_within(target, p) for p in OUR_PACKAGES) or _within(target, app)
    if not any(_within(target, p) for p in OUR_PACKAGES):
        return True
    if _within(target, "tools"):
        return False  # benchmarks and demo tooling are never imported by the product
    below = {
        "accounts": GROUND,
        "gallery": GROUND,
        "templates": (*GROUND, "accounts", "gallery"),
        "swaps": (*GROUND, "accounts", "gallery", "templates"),
    }
    if app in below:
        return _within(target, app) or any(_within(target, p) for p in below[app])
    if app == "faceswap_site":
        # The root URLconf wires the apps together; the rest of the project package stays below them.
        return _within(target, app) or importer == "faceswap_site.urls"
    return False


def violations(imports: list[Import]) -> list[str]:
    return [
        f"{imp.path}:{imp.line}: {imp.module} may not import {imp.target}"
        for imp in imports
        if not allowed(imp.module, imp.target)
    ]


def test_every_product_module_keeps_to_its_room():
    found = violations(all_imports())
    assert not found, "App boundaries broken (see README, Architecture):\n" + "\n".join(found)


def test_the_boundary_check_catches_a_function_level_import_and_names_its_line():
    source = "import os\n\n\ndef purge():\n    from swaps.models import FaceSwapTask\n    return FaceSwapTask\n"
    imports = imports_in(source, module="gallery.services", path="gallery/services.py")
    assert violations(imports) == ["gallery/services.py:5: gallery.services may not import swaps.models.FaceSwapTask"]
    relative = imports_in("from ...templates.models import Template\n", module="faceengine.classic.engine", path="e.py")
    assert violations(relative) == ["e.py:1: faceengine.classic.engine may not import templates.models.Template"]
    upward = imports_in("from templates.models import Template\n", module="faceengine.base", path="faceengine/base.py")
    assert violations(upward) == ["faceengine/base.py:1: faceengine.base may not import templates.models.Template"]
    assert violations(imports_in("from swaps.models import FaceSwapTask\n", module="templates.views", path="x.py"))
    test_helper = imports_in("from testing import FACES_DIR\n", module="swaps.views", path="x.py")
    assert violations(test_helper)
    assert not violations(imports_in("from faceengine import Face\n", module="templates.services", path="x.py"))


def _module_of(target: str, modules: set[str]) -> str | None:
    """The product module an imported name lives in: the longest module prefix of it."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph(imports: list[Import]) -> dict[str, set[str]]:
    modules = {imp.module for imp in imports} | {module_name(path) for path in product_files()}
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imp in imports:
        target = _module_of(imp.target, modules)
        if target is not None and target != imp.module:
            graph[imp.module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def test_no_import_cycles_between_product_modules():
    found = cycles(import_graph(all_imports()))
    assert not found, "Import cycles:\n" + "\n".join(" <-> ".join(group) for group in found)


def test_the_cycle_check_finds_a_cycle_through_a_function_level_import():
    imports = [
        *imports_in("from swaps.tasks import swap_run_task\n", module="swaps.services", path="a.py"),
        *imports_in("def run():\n    from swaps.services import swap_run\n", module="swaps.tasks", path="b.py"),
    ]
    assert cycles(import_graph(imports)) == [["swaps.services", "swaps.tasks"]]


# --- Names in strings: URL names and template names -------------------------------------------------------

# The links that run up a floor on purpose, each declared once with its reason: (the app whose file names
# the URL, the URL name). Every other link keeps to the floors, like the imports.
CROSS_APP_LINKS = {
    ("templates", "swaps:new"): (
        "“Use this template” on a template's page: choosing a template is where a couple starts a swap, and the "
        "swap form (swaps) is the one place that makes one. A link, not an import: templates knows nothing "
        "else of swaps."
    ),
    ("templates", "swaps:album_new"): (
        "“Try on several templates at once” in the gallery and “Try them all in one album” in My favourites "
        "lead to the album form with the templates chosen there, the same way as “Use this template”."
    ),
}
URL_CALLS = ("reverse", "reverse_lazy", "redirect", "resolve_url")
URL_TAG = re.compile(r"""\{%\s*url\s+(['"])(?P<name>[^'"]+)\1""")
TEMPLATE_TAG = re.compile(r"""\{%\s*(?:extends|include)\s+(['"])(?P<name>[^'"]+)\1""")


@dataclass(frozen=True)
class NameUse:
    """A URL name or a template name written in one app's file."""

    app: str  # the app whose file it is, e.g. "templates"
    path: str
    line: int
    name: str  # e.g. "swaps:new" or "swaps/favourites.html"


def html_files() -> list[Path]:
    """Every HTML template of the product: each app's templates/ folder and the site's own."""
    return sorted(
        path
        for package in OUR_PACKAGES
        if package != "tools"
        for path in (REPO_DIR / package).rglob("*.html")
        if "tests" not in path.relative_to(REPO_DIR).parts
    )


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def names_in_html(text: str, *, app: str, path: str) -> tuple[list[NameUse], list[NameUse]]:
    """The URL names of `{% url 'name' %}` and the template names of `{% extends %}`/`{% include %}`."""
    urls = [NameUse(app, path, _line_of(text, m.start()), m["name"]) for m in URL_TAG.finditer(text)]
    templates = [NameUse(app, path, _line_of(text, m.start()), m["name"]) for m in TEMPLATE_TAG.finditer(text)]
    return urls, templates


def _literal(node: ast.Call, index: int) -> str | None:
    """The call's positional argument at `index` when it is a string literal."""
    arg = node.args[index] if len(node.args) > index else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def names_in_python(source: str, *, app: str, path: str) -> tuple[list[NameUse], list[NameUse]]:
    """URL names given as the first argument of reverse(), reverse_lazy(), redirect() or resolve_url() (a
    literal that is not a path), and template names given to render(request, name, ...)."""
    urls, templates = [], []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if called in URL_CALLS and (name := _literal(node, 0)) and "/" not in name:
            urls.append(NameUse(app, path, node.lineno, name))
        elif called == "render" and (name := _literal(node, 1)):
            templates.append(NameUse(app, path, node.lineno, name))
    return urls, templates


def all_name_uses() -> tuple[list[NameUse], list[NameUse]]:
    urls, templates = [], []
    for path in html_files():
        found = names_in_html(path.read_text(), app=_app_of(path), path=str(path.relative_to(REPO_DIR)))
        urls += found[0]
        templates += found[1]
    for path in product_files():
        found = names_in_python(path.read_text(), app=_app_of(path), path=str(path.relative_to(REPO_DIR)))
        urls += found[0]
        templates += found[1]
    return urls, templates


def _app_of(path: Path) -> str:
    return path.relative_to(REPO_DIR).parts[0]


def _patterns(patterns: list, namespaces: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join((*namespaces, pattern.name)), pattern.callback.__module__


def url_owners() -> dict[str, str | None]:
    """Each URL name of the site and the app of ours its view belongs to (None: Django's, allauth's...).

    The admin's pages of a model (`admin:<app label>_<model>_<page>`) belong to that model's app."""
    ours = {
        app.label: app.name.split(".")[0] for app in apps.get_app_configs() if app.name.split(".")[0] in OUR_PACKAGES
    }
    owners: dict[str, str | None] = {}
    for name, module in _patterns(get_resolver().url_patterns):
        owner = module.split(".")[0]
        owners[name] = owner if owner in OUR_PACKAGES else None
        if name.startswith("admin:"):
            owners[name] = next((app for label, app in ours.items() if name[6:].startswith(f"{label}_")), None)
    return owners


def template_owner(name: str) -> str | None:
    """The app of ours an HTML template belongs to by its label folder ("couple_templates/..." is the
    templates app's); None for the site's frame (base.html, includes/) and the libraries' (admin/, account/)."""
    labels = {app.label: app.name.split(".")[0] for app in apps.get_app_configs()}
    owner = labels.get(name.split("/")[0]) if "/" in name else None
    return owner if owner in OUR_PACKAGES else None


def link_allowed(app: str, owner: str | None) -> bool:
    """The floors for a name another app owns: the same rule as for imports. The site package
    (faceswap_site) wires the apps together, so its URLconf and its page frame (the menu) name any of them."""
    if owner is None or app == "faceswap_site":
        return True
    return allowed(app, owner)


def link_violations(urls: list[NameUse], owners: dict[str, str | None]) -> list[str]:
    found = []
    for use in urls:
        if use.name not in owners:
            found.append(f"{use.path}:{use.line}: {use.app} names the URL {use.name!r}, which the site does not have")
        elif not link_allowed(use.app, owners[use.name]) and (use.app, use.name) not in CROSS_APP_LINKS:
            found.append(f"{use.path}:{use.line}: {use.app} may not link to {use.name} (a page of {owners[use.name]})")
    return found


def template_violations(templates: list[NameUse]) -> list[str]:
    return [
        f"{use.path}:{use.line}: {use.app} may not use the HTML template {use.name} (one of {template_owner(use.name)})"
        for use in templates
        if not link_allowed(use.app, template_owner(use.name))
    ]


def test_every_url_name_and_template_name_keeps_to_its_floor():
    urls, templates = all_name_uses()
    found = link_violations(urls, url_owners()) + template_violations(templates)
    assert not found, "App boundaries broken through names (see README, Architecture):\n" + "\n".join(found)


def test_every_declared_cross_app_link_is_still_used_and_still_crosses_a_floor():
    urls, _ = all_name_uses()
    owners = url_owners()
    used = {(use.app, use.name) for use in urls}
    for (app, name), reason in CROSS_APP_LINKS.items():
        assert reason and (app, name) in used, f"{app} no longer links to {name}: drop it from CROSS_APP_LINKS"
        assert not link_allowed(app, owners[name]), f"{app} -> {name} keeps to the floors: no need to declare it"


def test_the_name_checks_catch_an_offending_url_tag_a_reverse_and_an_include_and_name_their_lines():
    owners = {"swaps:list": "swaps", "gallery:photo_list": "gallery", "home": "templates", "admin:index": None}
    html = '<p>\n<a href="{% url "gallery:photo_list" %}">x</a> <a href="{% url \'swaps:list\' %}">y</a>\n'
    urls, _ = names_in_html(html, app="gallery", path="gallery/templates/gallery/x.html")
    assert link_violations(urls, owners) == [
        "gallery/templates/gallery/x.html:2: gallery may not link to swaps:list (a page of swaps)"
    ]
    source = 'from django.shortcuts import redirect\n\n\ndef done(request):\n    return redirect("home")\n'
    urls, _ = names_in_python(source, app="accounts", path="accounts/views.py")
    assert link_violations(urls, owners) == ["accounts/views.py:5: accounts may not link to home (a page of templates)"]
    assert not link_violations(
        names_in_python('redirect("/")\nreverse("admin:index")\n', app="gallery", path="g")[0], owners
    )
    assert link_violations(names_in_html("{% url 'nowhere' %}", app="swaps", path="s.html")[0], owners) == [
        "s.html:1: swaps names the URL 'nowhere', which the site does not have"
    ]
    _, includes = names_in_html('{% include "swaps/includes/people.html" %}', app="templates", path="t.html")
    assert template_violations(includes) == [
        "t.html:1: templates may not use the HTML template swaps/includes/people.html (one of swaps)"
    ]
    assert not template_violations(names_in_html('{% extends "base.html" %}', app="gallery", path="g.html")[1])
    _, rendered = names_in_python('render(request, "couple_templates/x.html", {})\n', app="gallery", path="g.py")
    assert template_violations(rendered) == [
        "g.py:1: gallery may not use the HTML template couple_templates/x.html (one of templates)"
    ]
    assert url_owners()["home"] == "templates" and url_owners()["admin:couple_templates_template_change"] == "templates"


def _imports_of(paths: list[Path]) -> list[Import]:
    return [
        imp
        for path in paths
        for imp in imports_in(
            path.read_text(),
            module=module_name(path),
            path=str(path.relative_to(REPO_DIR)),
            is_package=path.name == "__init__.py",
        )
    ]


def test_tools_and_tests_share_only_the_testing_package():
    """tools/ (benchmarks, demo sheets, prod-smoke) and the apps' tests both build on testing/; tools never
    import a test module, and tests import tools only to test a tool."""
    tools = _imports_of(sorted((REPO_DIR / "tools").rglob("*.py")))
    from_tests = [
        f"{imp.path}:{imp.line}: {imp.target}"
        for imp in tools + _imports_of(sorted((REPO_DIR / "testing").rglob("*.py")))
        if ".tests." in f".{imp.target}." or _within(imp.target, "conftest")
    ]
    assert not from_tests, "tools/ or testing/ import test modules:\n" + "\n".join(from_tests)
    test_files = [path for path in REPO_DIR.glob("*/tests/**/*.py") if ".venv" not in path.parts]
    test_files.append(REPO_DIR / "conftest.py")
    from_tools = [
        f"{imp.path}:{imp.line}: {imp.target}"
        for imp in _imports_of(sorted(test_files)) + _imports_of(sorted((REPO_DIR / "testing").rglob("*.py")))
        if _within(imp.target, "tools") and not Path(imp.path).name.startswith("test_tools")
    ]
    assert not from_tools, "tests import tools/ (only a tools test may):\n" + "\n".join(from_tools)
