"""How the suite runs under pytest-xdist (testing/plugin.py): the longest tests start first, one share per
worker, and every listed test is a real one."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from testing import REPO_DIR
from testing.plugin import LONGEST_SECONDS, _longest_key, longest_first


@dataclass
class Item:
    nodeid: str


def test_every_test_listed_as_longest_exists():
    """A renamed or moved test would silently drop out of the list (and start wherever it falls)."""
    for nodeid in LONGEST_SECONDS:
        path, _, name = nodeid.partition("::")
        source = REPO_DIR / path
        assert source.is_file(), nodeid
        functions = {node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.FunctionDef)}
        assert not name or name.split("[")[0] in functions, nodeid


def collection() -> list[Item]:
    """Ordinary tests with the listed ones among them (a listed module as two tests, one apart)."""
    items = [Item(f"a/test_{i}.py::test") for i in range(50)]
    for n, key in enumerate(LONGEST_SECONDS):
        if "::" in key:
            items.insert(3 * n, Item(key))
        else:
            items.insert(3 * n, Item(f"{key}::test_one"))
            items.insert(3 * n + 2, Item(f"{key}::test_two"))
    return items


def test_each_worker_starts_with_its_share_of_the_longest_tests_and_nothing_is_lost():
    items = collection()
    longest = sorted(LONGEST_SECONDS, key=LONGEST_SECONDS.get, reverse=True)
    for workers in (2, 3):
        ordered = longest_first(items, workers)
        assert sorted(item.nodeid for item in ordered) == sorted(item.nodeid for item in items)
        # The runs xdist hands the workers (worker k gets what is left divided by the workers left).
        runs, left, start = [], len(ordered), 0
        for k in range(workers):
            size = left // (workers - k)
            runs.append([item.nodeid for item in ordered[start : start + size]])
            start, left = start + size, left - size
        heads = []
        for run in runs:
            listed = [nodeid for nodeid in run if _longest_key(nodeid)]
            assert run[: len(listed)] == listed  # at the head of the worker's run
            keys = list(dict.fromkeys(_longest_key(nodeid) for nodeid in listed))
            assert keys == sorted(keys, key=LONGEST_SECONDS.get, reverse=True)  # longest first
            heads.append(keys)
        # Shared out: the very longest first, the workers' seconds apart by no more than it.
        seconds = [sum(LONGEST_SECONDS[key] for key in head) for head in heads]
        assert max(seconds) - min(seconds) <= LONGEST_SECONDS[longest[0]]
        assert heads[0][0] == longest[0]
        # A listed module's tests stay together, in their order; the other tests keep theirs.
        for key in LONGEST_SECONDS:
            if "::" not in key:
                together = [item.nodeid for item in ordered if item.nodeid.startswith(key)]
                position = [item.nodeid for item in ordered].index(together[0])
                assert [item.nodeid for item in ordered[position : position + 2]] == together
                assert together == [f"{key}::test_one", f"{key}::test_two"]
        others = [item.nodeid for item in ordered if not _longest_key(item.nodeid)]
        assert others == [item.nodeid for item in items if not _longest_key(item.nodeid)]


def test_one_process_keeps_the_collected_order():
    items = collection()
    assert longest_first(items, 1) == items
