"""The detection robustness set: the shared photos transformed the way real pictures differ, and the
pictures without a human face, with what a detector must find in each.

Each photo's faces are those the thorough detection finds in the original; every variant must find each
of them again (recall) and nothing else (false faces); the pictures without a human face (a coffee cup,
three anime drawings, the astronaut's mission patch cut out) must show none in any variant.

`canvas_cases` puts each picture into a 12-MP photo (a couple at arm's length or across a table, a group
at a distance): its smallest face CANVAS_FACE_PX across, and the group also with its largest at
CANVAS_GROUP_FACE_PX; the pictures without a human face go in at their own size. They are made one at a
time (36 MB each).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from faceengine import Face, load_image

POSITIVES = (
    "man_single_obama.jpg",
    "woman_single_astronaut.png",
    "couple_man_woman_closeup.jpg",
    "couple_man_woman_casual.jpg",
    "two_men_whitehouse.jpg",
    "group_six_people.jpg",
    "small_face_240p.jpg",
)
NEGATIVES = (
    "noface_coffee.png",
    "anime_single_madoka.jpg",
    "anime_two_girls_tadne.jpg",
    "anime_two_main_and_background_tadne.jpg",
)
# The astronaut's mission patch (HOG takes it for a weak face), as a picture of its own.
PATCH_BOX = (95, 300, 260, 470)
VARIANTS = ("original", "grayscale", "dark", "brim", "blur", "jpeg30", "small", "rot15", "rot30")
# "small": the picture scaled so its largest face is this wide (the others come out smaller, down to
# SMALL_MIN; a face that would be smaller is not expected).
SMALL_FACE_PX = 55
SMALL_MIN = 40
# The 12-MP photo (width, height) the canvas variants are put in, and their faces' sizes.
CANVAS_SIZE = (4000, 3000)
CANVAS_FACE_PX = 40
CANVAS_GROUP_FACE_PX = 80
GROUP = "group_six_people.jpg"


@dataclass
class Case:
    """One picture of the set and the face boxes it shows (in its pixels)."""

    source: str
    variant: str
    image: np.ndarray
    expected: list[np.ndarray]


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return load_image(buffer.getvalue())


def _turn(image: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """The picture turned counter-clockwise on a grey canvas that holds all of it, and the 2x3 map."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))
    matrix[:, 2] += [(size[0] - width) / 2, (size[1] - height) / 2]
    turned = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderValue=(128, 128, 128))
    return turned, matrix


def _map_box(box: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    centre = (box[:2] + box[2:]) / 2 @ matrix[:, :2].T + matrix[:, 2]
    half = (box[2:] - box[:2]) / 2 * np.sqrt(abs(np.linalg.det(matrix[:, :2])))
    return np.concatenate([centre - half, centre + half]).astype(np.float32)


def variant(image: np.ndarray, boxes: list[np.ndarray], name: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """One transform of a picture and where its faces are afterwards."""
    identity = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)
    matrix = identity
    sizes = [float(b[2] - b[0]) for b in boxes]
    if name == "original":
        out = image
    elif name == "grayscale":
        out = image.mean(axis=2, keepdims=True).round().astype(np.uint8).repeat(3, axis=2)
    elif name == "dark":
        out = (image.astype(np.float32) * 0.5).round().astype(np.uint8)
    elif name == "brim":
        # The shadow of a hat brim: the top third of each face (and the forehead above it) at a third of
        # its light.
        out = image.astype(np.float32)
        for x1, y1, x2, y2 in boxes:
            w, h = x2 - x1, y2 - y1
            top, bottom = int(max(0, y1 - 0.3 * h)), int(y1 + h / 3)
            out[top:bottom, int(max(0, x1 - 0.2 * w)) : int(x2 + 0.2 * w)] *= 0.33
        out = out.round().astype(np.uint8)
    elif name == "blur":
        sigma = max(1.0, 0.02 * float(np.median(sizes))) if sizes else 2.0
        out = cv2.GaussianBlur(image, (0, 0), sigma)
    elif name == "jpeg30":
        out = _jpeg(image, 30)
    elif name == "small":
        factor = SMALL_FACE_PX / max(sizes) if sizes else 0.25
        factor = min(factor, 1.0)
        size = max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor))
        out = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        matrix = identity * [[size[0] / image.shape[1]], [size[1] / image.shape[0]]]
    elif name in ("rot15", "rot30"):
        out, matrix = _turn(image, float(name[3:]))
    else:
        raise ValueError(name)
    mapped = [_map_box(box, matrix) for box in boxes]
    if name == "small":
        mapped = [box for box in mapped if box[2] - box[0] >= SMALL_MIN]
    return out, mapped


def matches(face: Face, box: np.ndarray) -> bool:
    """Whether a detected face is the expected one: centres close and sizes alike."""
    size = float(box[2] - box[0])
    centre = (box[:2] + box[2:]) / 2
    found = (face.box[:2] + face.box[2:]) / 2
    return bool(np.linalg.norm(found - centre) < 0.4 * size and 0.55 < face.width / size < 1.8)


def cases(folder: Path, engine) -> list[Case]:
    """Every picture of the set; the positives' faces found once by the thorough detection."""
    result = []
    for name in POSITIVES:
        image = load_image(folder / name)
        boxes = [face.box for face in engine.detect(image, thorough=True)]
        for variant_name in VARIANTS:
            out, expected = variant(image, boxes, variant_name)
            result.append(Case(name, variant_name, out, expected))
    for name, image in negative_pictures(folder):
        for variant_name in VARIANTS:
            if variant_name in ("brim", "small"):
                continue  # no face to shade or to scale by
            out, _ = variant(image, [], variant_name)
            result.append(Case(name, variant_name, out, []))
    return result


def negative_pictures(folder: Path) -> list[tuple[str, np.ndarray]]:
    """The pictures without a human face, by name: the coffee cup, the anime drawings, the mission patch
    (as it is and re-encoded)."""
    astronaut = load_image(folder / "woman_single_astronaut.png")
    x1, y1, x2, y2 = PATCH_BOX
    negatives = [(name, load_image(folder / name)) for name in NEGATIVES]
    negatives.append(("mission patch", np.ascontiguousarray(astronaut[y1:y2, x1:x2])))
    negatives.append(("mission patch, JPEG q90", _jpeg(astronaut, 90)[y1:y2, x1:x2].copy()))
    return negatives


def score(case: Case, faces: list[Face]) -> tuple[int, int]:
    """(expected faces found, faces found that are not expected)."""
    found = sum(any(matches(face, box) for face in faces) for box in case.expected)
    false = sum(not any(matches(face, box) for box in case.expected) for face in faces)
    return found, false


def canvas_background(folder: Path) -> np.ndarray:
    """A 12-MP picture without a face: the coffee photo enlarged, with a camera's fine grain."""
    coffee = load_image(folder / "noface_coffee.png")
    background = cv2.resize(coffee, CANVAS_SIZE, interpolation=cv2.INTER_CUBIC).astype(np.int16)
    grain = np.random.default_rng(0).normal(0, 3, background.shape).round().astype(np.int16)
    return np.clip(background + grain, 0, 255).astype(np.uint8)


def in_canvas(
    background: np.ndarray, image: np.ndarray, boxes: list[np.ndarray], factor: float, seed: str
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The picture scaled by factor and put into a copy of the background at a place fixed by seed, and
    where its faces are then."""
    size = max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    x = int(rng.integers(0, background.shape[1] - size[0]))
    y = int(rng.integers(0, background.shape[0] - size[1]))
    out = background.copy()
    out[y : y + size[1], x : x + size[0]] = small
    offset = np.array([x, y, x, y], dtype=np.float32)
    return out, [(box * factor + offset).astype(np.float32) for box in boxes]


def canvas_cases(folder: Path, positives: list[Case]) -> Iterator[Case]:
    """The 12-MP canvas cases, one at a time; positives are the "original" cases of `cases` (their
    faces already found)."""
    background = canvas_background(folder)
    for case in positives:
        sizes = [float(box[2] - box[0]) for box in case.expected]
        factors = [("canvas", CANVAS_FACE_PX / min(sizes))]
        if case.source == GROUP:
            factors.append(("canvas group", CANVAS_GROUP_FACE_PX / max(sizes)))
        for name, factor in factors:
            image, boxes = in_canvas(background, case.image, case.expected, factor, f"{case.source} {name}")
            yield Case(case.source, name, image, boxes)
    for name, picture in negative_pictures(folder):
        image, _ = in_canvas(background, picture, [], 1.0, name)
        yield Case(name, "canvas", image, [])
