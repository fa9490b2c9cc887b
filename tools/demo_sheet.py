"""`make demo-sheet`: before/after contact sheets of the shared pairs, written to artifacts/.

demo-sheet.png, each row: the template, the husband's and the wife's photos, the result, and a close-up
of each swapped face beside the original. Also a grayscale and a sepia template, and the drawn-art path.

demo-sheet-hard.png: the cases people noticed, larger: the seed_demo templates (crops of insightface's
t1.jpg: hair over a forehead, a face in three-quarter view), sources turned away from the template's
pose, open mouths onto closed ones and the other way round, and drawn art (the three shared anime
pictures with their hand-marked faces, with frontal and turned sources). Each row is labelled; the
close-ups are big enough to judge eyes, brows, hairlines and mouths.

demo-sheet-drawn.png: drawn art keeps the person: the shared people (their photos on top) swapped into each
face of the three shared anime pictures, every face enlarged, each labelled with the person the likeness
measure picks for it (testing/drawn_likeness.py, whose table is printed too).

demo-sheet-hairline.png: the hard cases' foreheads and hairlines, before and after, each face labelled with
its forehead step (testing/skin_tone.forehead_step: how much lighter or darker the swap made the forehead
than the template's skin just above it).

demo-sheet-faults.png: the six faults people saw (tools/faults_sheet.py), before (--before) and now, face
crops enlarged 3x.

demo-sheet-look.png: every case of the look table (tools/bench_look.py: the shared pairs and the demo
templates), each face a row: the template's face, then the result's, enlarged 3x (each pixel a 3x3
block, as a zoom shows it), for the engine of an earlier checkout when --before is given, this checkout's
engine, and its mesh move (ClassicEngine(mesh_move=True)).

Run: python -m tools.demo_sheet [--output artifacts/demo-sheet.png] [--before CHECKOUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from faceengine import encode_image, get_engine, swap_couple, swap_one_face
from faceengine.shared import blend
from testing import drawn_likeness, samples, skin_tone
from tools.faults_sheet import build_faults_sheet

CELL = 220
# The hard sheet's close-ups.
ZOOM = 300


def _fit(image: np.ndarray, size: int = CELL) -> np.ndarray:
    height, width = image.shape[:2]
    scale = size / max(height, width)
    small = cv2.resize(
        image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )
    cell = np.full((size, size, 3), 255, dtype=np.uint8)
    y, x = (size - small.shape[0]) // 2, (size - small.shape[1]) // 2
    cell[y : y + small.shape[0], x : x + small.shape[1]] = small
    return cell


def _zoom(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = box.astype(int)
    pad = (x2 - x1) // 4
    height, width = image.shape[:2]
    return image[max(0, y1 - pad) : min(height, y2 + pad), max(0, x1 - pad) : min(width, x2 + pad)]


def _row(template, faces, husband, wife, engine) -> np.ndarray:
    result, _ = swap_couple(template, faces, husband, wife, engine=engine)
    cells = [_fit(template), _fit(husband), _fit(wife), _fit(result)]
    for role in ("husband", "wife"):
        cells += [_fit(_zoom(template, faces[role].box), CELL // 2 * 2), _fit(_zoom(result, faces[role].box))]
    return np.concatenate(cells, axis=1)


def build_sheet() -> np.ndarray:
    folder = samples.faces_dir()
    engine = get_engine("classic")
    people = samples.people(folder)
    templates = samples.templates(folder, engine)
    rows = [_row(*templates[name], people[h], people[w], engine) for h, w, name in samples.PAIRS]
    image, faces = templates["closeup"]
    gray = image.mean(axis=2, keepdims=True).round().astype(np.uint8).repeat(3, axis=2)
    level = image.mean(axis=2).astype(np.float32)
    sepia = np.clip(np.stack([level * 1.07, level * 0.74, level * 0.43], axis=-1), 0, 255).astype(np.uint8)
    rows.append(_row(gray, faces, people["obama"], people["astronaut"], engine))
    rows.append(_row(sepia, faces, people["biden"], people["angelina"], engine))
    drawn, drawn_faces = samples.drawn_template(folder)
    rows.append(_row(drawn, drawn_faces, people["obama"], people["astronaut"], engine))
    return np.concatenate(rows, axis=0)


# (label, template, husband, wife): the templates are samples.templates' names, the seed_demo titles, or
# "drawn:<name>" (the hand-marked anime faces, samples.DRAWN; a drawing may mark one face only).
HARD_CASES = [
    ("Table for two: 3/4-view man, blonde hair over her forehead", "Table for two", "obama", "astronaut"),
    ("Winning hand: hair over her forehead, open mouths", "Winning hand", "obama", "astronaut"),
    ("Winning hand: closed mouths onto laughing faces", "Winning hand", "biden", "angelina"),
    ("Across the table: a third face (turned) stays hers", "Across the table", "obama", "astronaut"),
    ("Poker night: she is turned ~55 degrees", "Poker night (she is turned)", "ross", "monica"),
    ("Monica (turned) onto Angelina; Obama onto Brad", "closeup", "obama", "monica"),
    ("Astronaut onto Angelina (turned); open smile onto closed mouth", "closeup", "obama", "astronaut"),
    ("Angelina onto the casual woman (bangs); Brad onto the casual man", "casual", "brad", "angelina"),
    ("Ross (turned, low-res) onto the casual man", "casual", "ross", "monica"),
    ("Drawn art: two girls", "drawn:two girls", "obama", "astronaut"),
    ("Drawn art: two girls; Angelina is turned ~25 degrees", "drawn:two girls", "biden", "angelina"),
    ("Drawn art: two girls; Monica (turned ~20 degrees) straightened", "drawn:two girls", "ross", "monica"),
    ("Drawn art: Madoka looks over her shoulder (one face: the wife's)", "drawn:madoka", "obama", "astronaut"),
    ("Drawn art: Madoka; Angelina is turned the other way", "drawn:madoka", "obama", "angelina"),
    ("Drawn art: a small face behind, a tilted face in front", "drawn:main and background", "obama", "astronaut"),
    ("Drawn art: small and tilted faces; Monica is turned", "drawn:main and background", "biden", "monica"),
]


def _label(text: str, width: int) -> np.ndarray:
    strip = np.full((28, width, 3), 255, dtype=np.uint8)
    cv2.putText(strip, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def _swap_marked(template, faces, photos, engine) -> tuple[np.ndarray, float]:
    """The template with each marked face swapped (swap_couple when both are marked), and the seconds."""
    if all(role in faces for role in photos):
        result, report = swap_couple(template, faces, photos["husband"], photos["wife"], engine=engine)
        return result, report["seconds"]
    start = time.perf_counter()
    result = template.copy()
    for role, face in faces.items():
        source, _ = engine.source_face(photos[role], role=role)
        swap_one_face(result, face, photos[role], source, engine=engine, template=template)
    return result, time.perf_counter() - start


def _hard_row(label, template, faces, husband, wife, engine) -> np.ndarray:
    result, seconds = _swap_marked(template, faces, {"husband": husband, "wife": wife}, engine)
    cells = [_fit(template, ZOOM), _fit(result, ZOOM)]
    for role in ("husband", "wife"):
        if role in faces:
            cells += [_fit(_zoom(template, faces[role].box), ZOOM), _fit(_zoom(result, faces[role].box), ZOOM)]
        else:
            cells += [np.full((ZOOM, ZOOM, 3), 255, dtype=np.uint8)] * 2
    row = np.concatenate(cells, axis=1)
    return np.concatenate([_label(f"{label}   ({seconds:.2f} s)", row.shape[1]), row], axis=0)


def hard_cases() -> tuple[dict, dict, object]:
    """The hard cases' templates (by name) and people's photos, and the engine."""
    folder = samples.faces_dir()
    engine = get_engine("classic")
    people = samples.people(folder)
    templates = {
        **samples.templates(folder, engine),
        **samples.demo_templates(engine),
        **samples.demo_templates(engine, samples.HARD_CROPS),
    }
    for name in samples.DRAWN:
        templates[f"drawn:{name}"] = samples.drawn_template(folder, name)
    return templates, people, engine


def build_hard_sheet() -> np.ndarray:
    templates, people, engine = hard_cases()
    rows = [
        _hard_row(label, *templates[name], people[husband], people[wife], engine)
        for label, name, husband, wife in HARD_CASES
    ]
    return np.concatenate(rows, axis=0)


def _hairline(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The forehead and hairline of a face: from well above the brows down to the nose's tip."""
    size = blend.face_size(landmarks)
    height, width = image.shape[:2]
    x1, x2 = int(landmarks[0, 0] - 0.15 * size), int(landmarks[16, 0] + 0.15 * size)
    y1, y2 = int(landmarks[17:27, 1].min() - 0.45 * size), int(landmarks[30, 1])
    return image[max(0, y1) : min(height, y2), max(0, x1) : min(width, x2)]


def build_hairline_sheet(templates: dict, people: dict, engine) -> np.ndarray:
    rows = []
    for label, name, husband, wife in HARD_CASES:
        if name.startswith("drawn:"):  # drawn art: no hairline of its own
            continue
        image, faces = templates[name]
        result, _ = swap_couple(image, faces, people[husband], people[wife], engine=engine)
        cells, notes = [], []
        for role in ("husband", "wife"):
            landmarks = faces[role].landmarks
            cells += [_fit(_hairline(image, landmarks), ZOOM), _fit(_hairline(result, landmarks), ZOOM)]
            step = skin_tone.forehead_step(result, image, faces[role])
            notes.append(f"{role} {'n/a (hair)' if step is None else f'{step:+.1f} L'}")
        row = np.concatenate(cells, axis=1)
        rows.append(np.concatenate([_label(f"{label}   forehead step: {', '.join(notes)}", row.shape[1]), row]))
    return np.concatenate(rows, axis=0)


LOOK_ZOOM = 3


def _face_crop_3x(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    crop = _zoom(image, box)
    return cv2.resize(crop, None, fx=LOOK_ZOOM, fy=LOOK_ZOOM, interpolation=cv2.INTER_NEAREST)


def build_look_sheet(before: Path | None) -> np.ndarray:
    """Each face of the look table's cases: template, [before], after, mesh move; crops enlarged 3x."""
    import tempfile

    from faceengine import load_image
    from tools.bench_look import _render_elsewhere
    from tools.look_render import case_name, cases

    templates, people, engine = hard_cases()
    meshed = engine.variant(mesh_move=True)
    rendered = {}
    if before is not None:
        folder = Path(tempfile.mkdtemp(prefix="sheet-before-"))
        _render_elsewhere(before, folder)
        rendered = {path.stem: load_image(path) for path in folder.glob("*.png")}
    rows = []
    for husband, wife, name in cases(samples):
        image, faces = templates[name]
        after, _ = swap_couple(image, faces, people[husband], people[wife], engine=engine)
        moved, _ = swap_couple(image, faces, people[husband], people[wife], engine=meshed)
        key = case_name(husband, wife, name)
        pictures = [("template", image)]
        if key in rendered:
            pictures.append(("before", rendered[key]))
        pictures += [("after", after), ("mesh move", moved)]
        for role in ("husband", "wife"):
            cells = [_face_crop_3x(picture, faces[role].box) for _, picture in pictures]
            row = np.concatenate(cells, axis=1)
            label = f"{key} {role}: " + " | ".join(title for title, _ in pictures) + " (3x)"
            rows.append(np.concatenate([_label(label, row.shape[1]), row], axis=0))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    return np.concatenate(rows, axis=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="artifacts/demo-sheet.png")
    parser.add_argument("--before", type=Path, default=None, help="a checkout whose engine gives the before column")
    args = parser.parse_args(argv)
    if not samples.faces_dir().is_dir():
        print(f"The shared test photos are not at {samples.faces_dir()} (set FACES_TESTDATA_DIR).", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(encode_image(build_sheet(), "PNG"))
    print(f"Wrote {output}: columns template, husband, wife, result, then before/after of each face.")
    hard = output.with_name(f"{output.stem}-hard{output.suffix}")
    hard.write_bytes(encode_image(build_hard_sheet(), "PNG"))
    print(f"Wrote {hard}: columns template, result, then before/after of the husband's and the wife's face.")
    hairline = output.with_name(f"{output.stem}-hairline{output.suffix}")
    hairline.write_bytes(encode_image(build_hairline_sheet(*hard_cases()), "PNG"))
    print(f"Wrote {hairline}: the husband's forehead before/after, then the wife's.")
    look = output.with_name(f"{output.stem}-look{output.suffix}")
    look.write_bytes(encode_image(build_look_sheet(args.before), "PNG"))
    print(f"Wrote {look}: each face of the look table, template then results, enlarged 3x.")
    faults = output.with_name(f"{output.stem}-faults{output.suffix}")
    faults.write_bytes(encode_image(build_faults_sheet(args.before), "PNG"))
    print(f"Wrote {faults}: the six faults people saw, before (with --before) and now, face crops enlarged 3x.")
    drawn = output.with_name(f"{output.stem}-drawn{output.suffix}")
    likeness = drawn_likeness.measure()
    drawn.write_bytes(encode_image(drawn_likeness.sheet(likeness), "PNG"))
    print(f"Wrote {drawn}: the shared people (top) drawn into each drawn face, faces enlarged, with whom each picks.")
    drawn_likeness.report(likeness)
    return 0


if __name__ == "__main__":
    sys.exit(main())
