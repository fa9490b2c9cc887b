"""A folder's sidecar (templates.json or templates.csv): per-picture title, artist, source, tags, category
and description, read by `import_templates` and by the custom crawler's folder source alike."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

SIDECARS = ("templates.json", "templates.csv")
SIDECAR_KEYS = {"title", "artist", "source_url", "tags", "category", "description"}


class SidecarError(ValueError):
    """The sidecar cannot be read; the message says what is wrong with it, in plain words."""


def title_from_filename(path: Path) -> str:
    """A title for a picture the sidecar says nothing about: its file name in words ("beach_kiss.jpg" ->
    "Beach kiss")."""
    words = re.sub(r"[_\-.]+", " ", path.stem).strip()
    return (words[:1].upper() + words[1:]) or path.name


def sidecar_tags(value: Any) -> list[str]:
    """A sidecar's tags: a list, or one string separated by ; , or |."""
    if isinstance(value, str):
        value = re.split(r"[;,|]", value)
    return [str(tag).strip() for tag in value or [] if str(tag).strip()]


def read_sidecar(directory: Path) -> dict[str, dict[str, Any]]:
    """Per-file details from DIR/templates.json or DIR/templates.csv, keyed by file name ({} without one).

    JSON: an object {"file.jpg": {"title": ..., "artist": ..., "source_url": ..., "tags": [...],
    "category": ..., "description": ...}} or a list of such objects each with a "file" key.
    CSV: a header row with file,title,artist,source_url,tags,category,description (tags separated by ;).
    Raises SidecarError when the sidecar is there but cannot be used.
    """
    json_path, csv_path = (directory / name for name in SIDECARS)
    if json_path.is_file():
        return _read_json(json_path)
    if csv_path.is_file():
        return _read_csv(csv_path)
    return {}


def _read_json(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SidecarError(f"{path.name} is not valid JSON: {exc}") from exc
    if isinstance(data, list):
        if not all(isinstance(item, dict) and item.get("file") for item in data):
            raise SidecarError(f'{path.name}: every entry of the list needs a "file" key.')
        data = {item["file"]: {k: v for k, v in item.items() if k != "file"} for item in data}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SidecarError(f"{path.name} must map each file name to an object of details.")
    return data


def _read_csv(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fp:
            reader = csv.DictReader(fp)
            if not reader.fieldnames or "file" not in reader.fieldnames:
                raise SidecarError(f'{path.name} needs a header row with a "file" column.')
            return {
                row["file"]: {k: v for k, v in row.items() if k != "file" and v not in (None, "")}
                for row in reader
                if row.get("file")
            }
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SidecarError(f"{path.name} cannot be read as UTF-8 CSV: {exc}") from exc
