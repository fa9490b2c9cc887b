"""A JSON list read item by item, for answers where one item may be unreadable (nested too deeply for
Python's parser) while the others are fine: each item is cut out by a small scanner and parsed alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .base import CrawlRefused


@dataclass(frozen=True)
class MalformedItem:
    """An item of a JSON list that could not be read; `reason` says why."""

    reason: str


def array_items(text: str, *, what: str) -> list[Any]:
    """Each item of a top-level JSON array read on its own (one unreadable item does not spoil the rest)."""
    items, depth, start, in_string, escaped = [], 0, None, False, False
    begin = len(text) - len(text.lstrip())
    if text[begin : begin + 1] != "[":
        raise CrawlRefused(f"{what} did not answer with a list")

    def read(part: str) -> Any:
        try:
            return json.loads(part)
        except RecursionError:
            return MalformedItem("the item is nested too deeply to read")
        except ValueError:
            return MalformedItem("the item is not valid JSON")

    for index in range(begin + 1, len(text)):
        char = text[index]
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
            continue
        if char.isspace():
            continue
        if start is None and char not in ",]":
            start = index
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}" and depth > 0:
            depth -= 1
        elif char in ",]" and depth == 0:
            if start is not None:
                items.append(read(text[start:index]))
            start = None
            if char == "]":
                return items
    raise CrawlRefused(f"{what} answered with JSON cut short")
