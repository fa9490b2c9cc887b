"""The house's rooms: which app may import which (README, "Architecture"), and no import cycles.

Every import in product code counts, the ones inside functions included: they are read from the source
with `ast`, not from what happens to be loaded.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

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
