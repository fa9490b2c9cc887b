"""`make demo-sheet`'s faults sheet (demo-sheet-faults.png): the six faults a couple saw, each as it was
(an earlier checkout's engine, with --before) and as it is now, face crops enlarged 3x (each pixel a 3x3
block, as a zoom shows it):

1. the template's pose and expression: the astronaut onto "Winning hand"'s woman, who looks down with her
   mouth closed;
2. the person's photo background: Brad Pitt onto "Winning hand"'s man;
3. seams, colour casts, double brows: the astronaut onto "Table for two"'s woman;
4. blur and size: Biden onto "Across the table"'s man, with the result's and the template's sizes;
5. small faces in a person's photo: what the photo check finds in the casual couple photo and the group
   of six (each face boxed at the photo's own size, numbered, with its quality note now);
6. drawn art: the shared people drawn into the three anime pictures' faces.

The cases are rendered by tools/look_render.py and tools/faults_render.py, each run in the checkout whose
engine it shows, so the before column comes from the older engine itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from faceengine import get_engine, load_image
from testing import samples
from tools.faults_render import DRAWN_CASES, PHOTOS, drawn_name
from tools.look_render import DEMO_PAIRS, case_name

HERE = Path(__file__).resolve().parent
ZOOM = 3
# (fault, look case, role): the photo faults, from the look table's cases (tools/look_render.py).
PHOTO_FAULTS = [
    (
        "1 pose and expression: the astronaut onto a woman looking down, mouth closed",
        "brad+astronaut->Winning hand",
        "wife",
    ),
    ("2 background bleeding in: Brad onto Winning hand's man", "brad+astronaut->Winning hand", "husband"),
    ("3 seam, colour cast, double brows: the astronaut onto Table for two", "obama+astronaut->Table for two", "wife"),
    ("4 blur and size: Biden onto Across the table", "biden+angelina->Across the table", "husband"),
]
QUALITY_NOTES = {"small": "small: soft", "turned": "turned"}


def _render(script: str, checkout: Path) -> dict[str, np.ndarray | dict]:
    """What tools/<script> writes when run in checkout: its PNGs by name, and faces.json when written."""
    out = Path(tempfile.mkdtemp(prefix="faults-"))
    env = {**os.environ, "PYTHONPATH": str(checkout), "FACES_TESTDATA_DIR": str(samples.faces_dir())}
    subprocess.run([sys.executable, str(HERE / script), str(out)], cwd=checkout, env=env, check=True)
    rendered: dict[str, np.ndarray | dict] = {path.stem: load_image(path) for path in out.glob("*.png")}
    if (out / "faces.json").is_file():
        rendered["faces"] = json.loads((out / "faces.json").read_text())
    return rendered


def _label(text: str, width: int, height: int = 28) -> np.ndarray:
    strip = np.full((height, width, 3), 255, dtype=np.uint8)
    cv2.putText(strip, text, (8, height - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def _crop_3x(image: np.ndarray, box) -> np.ndarray:
    x1, y1, x2, y2 = np.round(np.asarray(box)).astype(int)
    pad = (x2 - x1) // 4
    height, width = image.shape[:2]
    crop = image[max(0, y1 - pad) : min(height, y2 + pad), max(0, x1 - pad) : min(width, x2 + pad)]
    return cv2.resize(crop[..., :3], None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)


def _titled(title: str, cell: np.ndarray) -> np.ndarray:
    return np.concatenate([_label(title, cell.shape[1], 22), cell], axis=0)


def _row(label: str, cells: list[tuple[str, np.ndarray]]) -> np.ndarray:
    height = max(cell.shape[0] for _, cell in cells)
    padded = [
        _titled(title, np.pad(cell, ((0, height - cell.shape[0]), (0, 6), (0, 0)), constant_values=255))
        for title, cell in cells
    ]
    row = np.concatenate(padded, axis=1)
    return np.concatenate([_label(label, row.shape[1]), row], axis=0)


def _boxed(photo: np.ndarray, found: dict, notes: list[str] | None) -> np.ndarray:
    """The photo at its own size with each face found boxed and numbered (and its quality note)."""
    out = np.ascontiguousarray(photo[..., :3]).copy()
    for index, box in enumerate(found["boxes"]):
        x1, y1, x2, y2 = (round(v) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), (0, 200, 0), 2)
        text = f"{index + 1}" + (f" {notes[index]}" if notes and notes[index] else "")
        cv2.putText(out, text, (x1, max(12, y1 - 5)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 120, 0), 1, cv2.LINE_AA)
    verdict = f"{len(found['boxes'])} faces" if found["boxes"] else found["message"][:60]
    cv2.putText(out, verdict, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 3, cv2.LINE_AA)
    cv2.putText(out, verdict, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (200, 0, 0), 1, cv2.LINE_AA)
    return out


def build_faults_sheet(before: Path | None) -> np.ndarray:
    """The faults sheet (see the module docstring); without before, the after column alone."""

    checkout = HERE.parent
    after = {**_render("look_render.py", checkout), **_render("faults_render.py", checkout)}
    earlier = {**_render("look_render.py", before), **_render("faults_render.py", before)} if before else {}
    engine = get_engine("classic")
    folder = samples.faces_dir()
    templates = {**samples.templates(folder, engine), **samples.demo_templates(engine)}
    assert all(case_name(*pair) in after for pair in DEMO_PAIRS)
    rows = []
    for label, case, role in PHOTO_FAULTS:
        image, faces = templates[case.split("->")[1]]
        box = faces[role].box
        cells = [("template", _crop_3x(image, box))]
        for title, rendered in (("before", earlier), ("after", after)):
            if case in rendered:
                result = rendered[case]
                cells.append((f"{title} ({result.shape[1]}x{result.shape[0]})", _crop_3x(result, box)))
        rows.append(_row(f"{label}; template {image.shape[1]}x{image.shape[0]}, 3x", cells))
    for name in PHOTOS:
        photo = load_image(folder / name)
        cells = []
        for title, rendered in (("before", earlier), ("after", after)):
            if "faces" in rendered:
                found = rendered["faces"][name]
                notes = [", ".join(QUALITY_NOTES[code] for code in codes) for codes in found["notes"]]
                cells.append((title, _boxed(photo, found, notes)))
        rows.append(_row(f"5 faces in a person's photo: {name} (own size)", cells))
        found = after["faces"][name]
        crops = [(f"face {i + 1}, 3x", _crop_3x(photo, box)) for i, box in enumerate(found["boxes"])]
        if crops:
            rows.append(_row(f"5 ... each face found now in {name}, 3x", crops))
    for drawing, husband, wife in DRAWN_CASES:
        image, faces = samples.drawn_template(folder, drawing)
        key = drawn_name(drawing, husband, wife)
        for role, face in faces.items():
            person = husband if role == "husband" else wife
            cells = [("drawing", _crop_3x(image, face.box))]
            cells += [
                (title, _crop_3x(rendered[key], face.box))
                for title, rendered in (("before", earlier), ("after", after))
                if key in rendered
            ]
            rows.append(_row(f"6 drawn art: {person} onto {drawing}'s {role}, 3x", cells))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    return np.concatenate(rows, axis=0)
