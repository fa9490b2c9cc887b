"""Drawn art keeps the person? Each of a panel of the shared people swapped onto every drawn face of the
shared anime pictures, and for each result: which of the people does it pick?

Two measures, both asked "which person is this?" against the people's own photos:
- descriptor: dlib's 128-d face descriptor of the result's face (its chip cut at the drawn face's five
  marked points, as dlib cuts a photo's at the same points of the mean face) against each person's photo
  (cut the same way at their five points). A drawing and a photo are far apart for dlib whoever is drawn,
  so each side is matched to its own style first: the panel's mean descriptor on the same drawn face is
  taken from each result, the panel photos' mean from each photo, and the person picked is the photo
  whose remainder points the same way (cosine). What is left is what tells the people apart on each side.
  A stylisation that loses the person leaves the same face whoever is drawn: nothing remains, and the
  pick is no better than chance.
- traits: ratios of dlib's 68 landmarks found afresh on the result (jaw to cheek width, chin length, eye
  spacing and openness, brows, nose length, mouth width; `drawn.traits.landmark_traits`), standardised
  across the panel on each side the same way, nearest photo picked.
And the skin: the result's drawn skin lightness against the person's own (rank correlation per face;
the darkest person should stay the darkest).

Run: python -m tools.bench_drawn [--sheet artifacts/drawn-likeness.png] (also in make bench and make
demo-sheet).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from faceengine import Face, get_engine, swap_one_face
from faceengine.stages.drawn.traits import landmark_traits
from testing import samples, skin_tone
from testing.identity import chip_descriptor, landmarks_in

# The panel: the shared people, one photo each (obama_whitehouse is Obama again; it is the check that two
# photos of one person measure alike, not a second person).
PANEL = ("obama", "astronaut", "brad", "angelina", "biden", "rachel", "monica", "ross")
# A drawn face's landmark box (dlib's detector box) from its eyes' midpoint and its eyes-to-mouth depth d:
# left, top, right, bottom in units of d along and across the face (measured on the shared photos).
BOX_FROM_POINTS = (-1.22, -0.71, 1.15, 1.77)


@dataclass
class Likeness:
    """The panel's results on the drawn faces and what each measure picked."""

    faces: list[str]  # "<drawing>: <role>"
    results: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (face, person) -> crop
    picks: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)  # measure -> (face, person) -> pick
    # (face, person) -> the rank (1: picked first) of the person's own photo by the descriptor
    ranks: dict[tuple[str, str], int] = field(default_factory=dict)
    skin: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)  # face -> (person, own L, drawn L)
    seconds: list[float] = field(default_factory=list)

    def top1(self, measure: str, face: str | None = None) -> float:
        picks = self.picks[measure]
        hits = [pick == person for (f, person), pick in picks.items() if face is None or f == face]
        return float(np.mean(hits)) if hits else 0.0

    def mean_rank(self, face: str | None = None) -> float:
        """The mean rank of each person's own photo among the descriptor's picks (1 is best; chance is
        the middle of the panel)."""
        ranks = [rank for (f, _), rank in self.ranks.items() if face is None or f == face]
        return float(np.mean(ranks)) if ranks else float("nan")

    def confusion(self, measure: str) -> np.ndarray:
        table = np.zeros((len(PANEL), len(PANEL)), dtype=int)
        for (_, person), pick in self.picks[measure].items():
            table[PANEL.index(person), PANEL.index(pick)] += 1
        return table


def face_box(kps: np.ndarray) -> np.ndarray:
    """A box for dlib's landmark finder around a face known by its five points (BOX_FROM_POINTS)."""
    centre = kps[:2].mean(axis=0)
    across = (kps[1] - kps[0]) / max(float(np.linalg.norm(kps[1] - kps[0])), 1e-6)
    depth = float(np.linalg.norm(kps[3:].mean(axis=0) - centre))
    left, top, right, bottom = BOX_FROM_POINTS
    # An upright box around the face's own frame (drawn faces are often tilted: its corners turned back).
    down = np.array([-across[1], across[0]])
    corners = [centre + depth * (x * across + y * down) for x in (left, right) for y in (top, bottom)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    side = (width + height) / 2
    middle = np.array([(max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2])
    return np.array([*(middle - side / 2), *(middle + side / 2)], dtype=np.float32)


def _standardise(rows: np.ndarray) -> np.ndarray:
    spread = rows.std(axis=0)
    return (rows - rows.mean(axis=0)) / np.where(spread > 1e-9, spread, 1.0)


def _rank_by_direction(results: np.ndarray, photos: np.ndarray) -> list[list[int]]:
    """For each result row, the photo rows from the one its remainder (its side's mean taken off) points
    most the same way as (cosine) to the least; [] when the result's remainder is nothing (every result
    alike)."""
    r = results - results.mean(axis=0)
    p = photos - photos.mean(axis=0)
    norms = np.linalg.norm(r, axis=1)
    p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-9)
    return [
        [] if norm < 1e-6 else [int(i) for i in np.argsort(-(p @ (row / norm)))]
        for row, norm in zip(r, norms, strict=True)
    ]


def _pick_nearest(results: np.ndarray, photos: np.ndarray) -> list[int]:
    """For each standardised result row, the nearest standardised photo row (-1 when all results alike)."""
    if np.allclose(results, results[0]):
        return [-1] * len(results)
    r, p = _standardise(results), _standardise(photos)
    return [int(np.argmin(np.linalg.norm(p - row, axis=1))) for row in r]


def drawn_skin_lightness(result: np.ndarray, template: np.ndarray, face: Face) -> float:
    """The median CIELAB lightness, in the result, of the drawn face's skin: the template's pixels near its
    cheeks' tone within the face's box (what the drawing draws as skin, whatever the swap did there)."""
    from faceengine.shared import colour
    from faceengine.stages.drawn.region import drawn_face_region
    from faceengine.stages.drawn.region import skin_tone as cheek_tone

    x1, y1, x2, y2 = np.round(face.box).astype(int)
    x1, y1 = max(0, x1), max(0, y1)
    before = colour.to_lab(np.ascontiguousarray(template[y1:y2, x1:x2]))
    after = colour.to_lab(np.ascontiguousarray(result[y1:y2, x1:x2]))
    offset = np.array([x1, y1], dtype=np.float32)
    kps = face.kps - offset
    region = drawn_face_region(before, face.box - np.concatenate([offset, offset]), kps)
    tone = cheek_tone(before, kps)
    skin = (region > 0) & (np.linalg.norm(before - tone, axis=-1) < 12.0)
    if skin.sum() < 16:
        skin = region > 0
    return float(np.median(after[..., 0][skin]))


def _rank_correlation(a: list[float], b: list[float]) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def measure(
    engine=None,
    panel: tuple[str, ...] = PANEL,
    drawings: tuple[str, ...] | None = None,
    faces: tuple[str, ...] | None = None,
    variant: str | None = None,
) -> Likeness:
    """Every panel person swapped onto every marked face of the drawings (samples.DRAWN; faces: only these
    "<drawing>: <role>" faces) and picked. variant (testing.trait_variants.VARIANTS): each person's photo
    swapped in is that transformed copy of it (mirrored, smaller, dimmer, brighter), still picked against
    the people's own photos: the same person from another photo."""
    from testing.trait_variants import transformed

    engine = engine or get_engine("classic")
    folder = samples.faces_dir()
    people = samples.people(folder)
    sources = {name: engine.source_face(people[name], role="person")[0] for name in panel}
    photo_desc = np.stack([chip_descriptor(people[n], sources[n].kps) for n in panel])
    photo_traits = np.stack([landmark_traits(sources[n].landmarks) for n in panel])
    own_light = {n: float(skin_tone.skin_colour(people[n], sources[n].landmarks, template=False)[0]) for n in panel}
    if variant is not None:
        people = {name: transformed(people[name], variant) for name in panel}
        sources = {name: engine.source_face(people[name], role="person")[0] for name in panel}
    likeness = Likeness(faces=[])
    descriptor_picks, trait_picks = {}, {}
    if faces is not None:
        drawings = tuple(dict.fromkeys(label.split(": ")[0] for label in faces))
    for drawing in drawings or tuple(samples.DRAWN):
        image, marked = samples.drawn_template(folder, drawing)
        for role, face in marked.items():
            label = f"{drawing}: {role}"
            if faces is not None and label not in faces:
                continue
            likeness.faces.append(label)
            box = face_box(face.kps)
            descs, traits, skins = [], [], []
            for name in panel:
                result = image.copy()
                start = time.perf_counter()
                swap_one_face(result, face, people[name], sources[name], engine=engine, template=image)
                likeness.seconds.append(time.perf_counter() - start)
                likeness.results[(label, name)] = result
                descs.append(chip_descriptor(result, face.kps))
                traits.append(landmark_traits(landmarks_in(result, box)))
                skins.append((name, own_light[name], drawn_skin_lightness(result, image, face)))
            likeness.skin[label] = skins
            orders = _rank_by_direction(np.stack(descs), photo_desc)
            for index, (name, order) in enumerate(zip(panel, orders, strict=True)):
                descriptor_picks[(label, name)] = panel[order[0]] if order else "-"
                likeness.ranks[(label, name)] = order.index(index) + 1 if order else len(panel)
            for name, pick in zip(panel, _pick_nearest(np.stack(traits), photo_traits), strict=True):
                trait_picks[(label, name)] = panel[pick] if pick >= 0 else "-"
    likeness.picks = {"descriptor": descriptor_picks, "traits": trait_picks}
    return likeness


def report(likeness: Likeness, out=sys.stdout) -> None:
    chance = 1.0 / len(PANEL)
    print(
        f"Drawn art likeness: {len(PANEL)} people x {len(likeness.faces)} drawn faces; chance = {chance:.0%}", file=out
    )
    print(
        f"{'drawn face':<28}{'descriptor':>12}{'mean rank':>11}{'traits':>9}{'skin rank r':>13}  darkest stays darkest",
        file=out,
    )
    for face in likeness.faces:
        skins = likeness.skin[face]
        own, drawn = [s[1] for s in skins], [s[2] for s in skins]
        darkest = skins[int(np.argmin(own))][0] == skins[int(np.argmin(drawn))][0]
        print(
            f"{face:<28}{likeness.top1('descriptor', face):>12.0%}{likeness.mean_rank(face):>11.1f}"
            f"{likeness.top1('traits', face):>9.0%}"
            f"{_rank_correlation(own, drawn):>13.2f}  {'yes' if darkest else 'no'}",
            file=out,
        )
    print(
        f"{'all':<28}{likeness.top1('descriptor'):>12.0%}{likeness.mean_rank():>11.1f}{likeness.top1('traits'):>9.0%}"
        f"   (per-face swap median {np.median(likeness.seconds):.3f} s)",
        file=out,
    )
    for measure_name in ("descriptor", "traits"):
        print(f"\nConfusion ({measure_name}): rows the person swapped in, columns the person picked", file=out)
        print(f"{'':<12}" + "".join(f"{name[:7]:>8}" for name in PANEL), file=out)
        for name, row in zip(PANEL, likeness.confusion(measure_name), strict=True):
            print(f"{name:<12}" + "".join(f"{v:>8}" for v in row), file=out)


def _label(text: str, width: int, height: int = 24) -> np.ndarray:
    strip = np.full((height, width, 3), 255, dtype=np.uint8)
    cv2.putText(strip, text, (6, height - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def sheet(likeness: Likeness, cell: int = 200) -> np.ndarray:
    """The panel's faces (top row) over each drawn face's results, each face cut around its box and
    enlarged to `cell` pixels (about 2-3x for these drawings); the drawn face as drawn on the left."""
    folder = samples.faces_dir()
    people = samples.people(folder)
    engine = get_engine("classic")

    def cut(image: np.ndarray, box: np.ndarray) -> np.ndarray:
        x1, y1, x2, y2 = np.round(box).astype(int)
        pad = (x2 - x1) // 5
        height, width = image.shape[:2]
        crop = image[max(0, y1 - pad) : min(height, y2 + pad), max(0, x1 - pad) : min(width, x2 + pad)]
        return cv2.resize(crop, (cell, cell), interpolation=cv2.INTER_CUBIC)

    blank = np.full((cell, cell, 3), 255, dtype=np.uint8)
    header = [blank] + [cut(people[n], engine.source_face(people[n], role="person")[0].box) for n in PANEL]
    rows = [np.concatenate([_label("", cell)] + [_label(n, cell) for n in PANEL], axis=1)]
    rows.append(np.concatenate(header, axis=1))
    for face_label in likeness.faces:
        drawing, role = face_label.split(": ")
        image, faces = samples.drawn_template(folder, drawing)
        box = faces[role].box
        cells = [cut(image, box)] + [cut(likeness.results[(face_label, n)], box) for n in PANEL]
        picks = [likeness.picks["descriptor"][(face_label, n)] for n in PANEL]
        labels = [_label(face_label, cell)] + [_label(f"picked: {p}", cell) for p in picks]
        rows.append(np.concatenate(labels, axis=1))
        rows.append(np.concatenate(cells, axis=1))
    return np.concatenate(rows, axis=0)
