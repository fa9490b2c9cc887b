"""How the suite runs under pytest-xdist (testing/plugin.py): the longest tests start first, one share per
worker, and every listed test is a real one."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from testing import REPO_DIR
from testing.plugin import LONGEST_SECONDS, longest_first


@dataclass
class Item:
    nodeid: str


def test_every_test_listed_as_longest_exists():
    """A renamed or moved test would silently drop out of the list (and start wherever it falls)."""
    for nodeid in LONGEST_SECONDS:
        path, name = nodeid.split("::")
        source = REPO_DIR / path
        assert source.is_file(), nodeid
        functions = {node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.FunctionDef)}
        assert name.split("[")[0] in functions, nodeid


def test_each_worker_starts_with_its_share_of_the_longest_tests_and_nothing_is_lost():
    longest = sorted(LONGEST_SECONDS, key=LONGEST_SECONDS.get, reverse=True)
    items = [Item(f"a/test_{i}.py::test") for i in range(50)]
    items[10:10] = [Item(nodeid) for nodeid in longest]  # where collection happened to put them
    for workers in (2, 3):
        ordered = longest_first(items, workers)
        assert sorted(item.nodeid for item in ordered) == sorted(item.nodeid for item in items)
        # The runs xdist hands the workers (worker k gets what is left divided by the workers left).
        runs, left, start = [], len(ordered), 0
        for k in range(workers):
            size = left // (workers - k)
            runs.append([item.nodeid for item in ordered[start : start + size]])
            start, left = start + size, left - size
        heads = [[nodeid for nodeid in run if nodeid in LONGEST_SECONDS] for run in runs]
        for run, head in zip(runs, heads, strict=True):
            assert run[: len(head)] == head  # at the head of the worker's run, longest first
            assert head == sorted(head, key=LONGEST_SECONDS.get, reverse=True)
        # Shared out: the very longest first, the workers' seconds apart by no more than it.
        seconds = [sum(LONGEST_SECONDS[nodeid] for nodeid in head) for head in heads]
        assert max(seconds) - min(seconds) <= LONGEST_SECONDS[longest[0]]
        assert heads[0][0] == longest[0]
        # The other tests keep their order.
        others = [item.nodeid for item in ordered if item.nodeid not in LONGEST_SECONDS]
        assert others == [item.nodeid for item in items if item.nodeid not in LONGEST_SECONDS]


def test_one_process_keeps_the_collected_order():
    items = [Item(nodeid) for nodeid in LONGEST_SECONDS] + [Item("a/test_a.py::test")]
    assert longest_first(items[::-1], 1) == items[::-1]
