"""The classic swap of one photographed face into one template face with 68 landmarks.

The source face is moved by one similarity transform fitted on the landmarks and, where the two faces
are turned differently, bent part of the way towards the template's landmarks ("local"); then the masks
(where the template shows skin, what covers it, where the source has skin to give) are worked out, the
moved face takes on the template's light and colour (`colour.match_colour`), and it is pasted back
through a feathered mask (`blend`).

All the work happens on a crop around the target face, so the cost does not grow with the template; a
face bigger than MAX_WORK_FACE_PX is swapped on a scaled-down copy of its crop and put back at full size,
so the cost does not grow with the face either.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..faces import Face
from ..landmarks import INNER_MOUTH, LEFT_EYE, RIGHT_EYE, estimate_pose
from ..util import Timings, crop_box, shrink, timed
from . import align, blend, colour, skin

# The working crop around a target face: its landmarks' extent grown by this fraction of the face size.
CROP_MARGIN = 0.35
# The largest face (see blend.face_size) worked on at full size. A bigger one (a large template: the faces
# of a 6000-pixel-wide photo are 2000 pixels across) is swapped on a copy of its crop scaled down to this
# and put back over the full-size crop, so only the painted face is softer than the template around it:
# at full size the mask's feathering alone took 20 s per face. Sources are rarely sharper than this.
MAX_WORK_FACE_PX = 640
# "local" (the default): aligned, then bent towards the template's landmarks by a strength that grows
# with the difference between the two faces' turn (yaw), eyes and mouth moved whole (align.local_goals);
# "align": one similarity transform only. Both keep every shared pair's identity (tools/bench_engine.py:
# local 16/16 faces recognised, mean distance 0.394; align 16/16, 0.391); local also meets a turned
# template face's pose, where align leaves the eyes side by side with the template's.
METHODS = ("local", "align")
DEFAULT_METHOD = "local"
# The local method's strength: LOCAL_BASE plus the yaw difference (degrees) divided by LOCAL_YAW_SCALE,
# between 0 and LOCAL_MAX. So faces turned within 25 degrees of each other are only aligned (every bend
# towards the template's shape costs some likeness: a full bend kept only 10 of 16 faces recognised),
# and the bend grows to its full strength at 50 degrees (a frontal photo onto a face in three-quarter view).
LOCAL_BASE = -0.5
LOCAL_YAW_SCALE = 50.0
LOCAL_MAX = 0.5
# Above the eyes, the person's skin tone fades in over this fraction of the face's size inside the mask.
TONE_EDGE = 0.15
# Above the eyes, the swapped face's lightness at the mask's edge is brought to the template skin's there
# (their difference spread along the edge over EDGE_LIGHT_BLUR of the face's size), fading out over
# EDGE_LIGHT_DEPTH of the face's size inside: no band of different brightness at the hairline, even where
# the person's photo has its own shading there (a brow ridge in shade, a shiny forehead).
EDGE_LIGHT_BLUR = 0.08
EDGE_LIGHT_DEPTH = 0.2


@dataclass
class WorkArea:
    """The crop around a target face that a swap works on, maybe scaled down (see MAX_WORK_FACE_PX)."""

    box: tuple[int, int, int, int]  # the full-size crop in the canvas: x1, y1, x2, y2
    full: np.ndarray  # the full-size crop (a view of the canvas)
    crop: np.ndarray  # the crop worked on: `full` itself or a scaled-down copy
    scale: np.ndarray  # crop's size over full's, per axis (x, y)
    landmarks: np.ndarray  # the target's landmarks in crop's pixels
    size: float  # the target face's size in crop's pixels

    @property
    def shape(self) -> tuple[int, int]:
        return self.crop.shape[:2]


def swap_face_classic(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    method: str = DEFAULT_METHOD,
    keep_tone: bool = True,
    timings: Timings | None = None,
) -> None:
    """Put the source face (in photo) over the target face of canvas, in place. Both need 68 landmarks.

    keep_tone: the person keeps their own skin tone under the template's light (colour.match_colour);
    otherwise the face takes the template face's skin tone."""
    if method not in METHODS:
        raise ValueError(f"unknown swap method {method!r}")
    assert target.landmarks is not None and source.landmarks is not None
    work = work_area(canvas, target.landmarks)
    with timed(timings, "warp"):
        moved, moved_lm = move_source(photo, source.landmarks, work, local_strength(target, source, method))
    with timed(timings, "skin"):
        target_skin = skin.skin_map(
            work.crop, work.landmarks, blend.face_outline(work.landmarks), work.size, template=True
        )
        source_skin = skin.skin_map(moved, moved_lm, blend.face_outline(moved_lm), work.size, template=False)
    with timed(timings, "blend"):
        mask = blend.swap_mask(
            work.shape,
            work.landmarks,
            moved_lm,
            covered=target_skin.covered | source_skin.covered,
            source_covered=source_skin.covered,
            source_skin=source_skin.probability,
            skin=np.minimum(target_skin.probability, source_skin.probability),
        )
        part = painted_part(mask, work.size)
    if part is None:
        return
    with timed(timings, "colour"):
        light = colour.tone_shift(photo, canvas) if keep_tone else None
        weight = tone_weight(mask, work.landmarks, work.size)[part] if keep_tone else None
        edge = edge_light(mask, part, target_skin, work.landmarks, work.size)
        recoloured = recolour(moved, moved_lm, work, part, source_skin, target_skin, light, weight, edge)
    with timed(timings, "blend"):
        paste_back(canvas, work, recoloured, mask, part)


def work_area(canvas: np.ndarray, landmarks: np.ndarray) -> WorkArea:
    """The crop around the target face's landmarks, scaled down when the face is bigger than
    MAX_WORK_FACE_PX."""
    size = blend.face_size(landmarks)
    x1, y1, x2, y2 = crop_box(landmarks, size, canvas.shape, margin=CROP_MARGIN)
    full = canvas[y1:y2, x1:x2]
    crop, scale = full, np.ones(2, dtype=np.float32)
    if size > MAX_WORK_FACE_PX:
        crop = shrink(full, MAX_WORK_FACE_PX / size)
        scale = np.array([crop.shape[1] / full.shape[1], crop.shape[0] / full.shape[0]], dtype=np.float32)
    dst = (landmarks - np.array([x1, y1], dtype=np.float32)) * scale
    return WorkArea(box=(x1, y1, x2, y2), full=full, crop=crop, scale=scale, landmarks=dst, size=blend.face_size(dst))


def local_strength(target: Face, source: Face, method: str) -> float:
    """How far the local method bends the aligned source towards the template's landmarks (0: not at all)."""
    if method != "local":
        return 0.0
    turn = abs(estimate_pose(target.landmarks).yaw - estimate_pose(source.landmarks).yaw)
    return float(np.clip(LOCAL_BASE + turn / LOCAL_YAW_SCALE, 0.0, LOCAL_MAX))


def move_source(
    photo: np.ndarray, landmarks: np.ndarray, work: WorkArea, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """The source photo moved onto the work crop (aligned, then bent `strength` of the way towards the
    template's landmarks), and its landmarks there."""
    matrix = align.similarity_transform(landmarks[align.ALIGN_POINTS], work.landmarks[align.ALIGN_POINTS])
    moved = align.warp_into(photo, matrix, (work.shape[1], work.shape[0]))
    moved_lm = align.transform_points(matrix, landmarks)
    if strength <= 0.0:
        return moved, moved_lm
    # Less when the full bend would fold the face (landmarks of a strongly turned face cross), not at
    # all if even a little would.
    for attempt in (strength, strength / 2, strength / 4):
        goal = align.local_goals(moved_lm, work.landmarks, attempt)
        # The forehead's outline points, so the forehead moves with the brows.
        points = np.concatenate([moved_lm, blend.face_outline(moved_lm)[17:]])
        goals = np.concatenate([goal, blend.face_outline(goal)[17:]])
        warped = align.piecewise_warp(moved, points, goals)
        if warped is not None:
            return warped, goal
    return moved, moved_lm


def painted_part(mask: np.ndarray, size: float) -> tuple[slice, slice] | None:
    """The part of the crop the mask paints, with room for the colour's blur around it; None if none."""
    ys, xs = np.nonzero(mask > 0)
    if len(xs) == 0:
        return None
    room = round(0.1 * size)
    height, width = mask.shape
    top, bottom = max(0, ys.min() - room), min(height, ys.max() + room + 1)
    left, right = max(0, xs.min() - room), min(width, xs.max() + room + 1)
    return slice(top, bottom), slice(left, right)


def recolour(
    moved: np.ndarray,
    moved_lm: np.ndarray,
    work: WorkArea,
    part: tuple[slice, slice],
    source_skin: skin.SkinMap,
    target_skin: skin.SkinMap,
    light: tuple[float, np.ndarray] | None,
    weight: np.ndarray | None = None,
    edge: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The painted part of the moved face in the template's light and colour (keeping the person's skin
    tone when light, the light's change from their photo to the template, is given; its lightness matched
    to the template's along the mask's edge where edge, see `edge_light`, says)."""
    dst = work.landmarks
    eye_distance = float(np.linalg.norm(dst[RIGHT_EYE].mean(axis=0) - dst[LEFT_EYE].mean(axis=0)))
    # The whites of the eyes and the teeth may stay brighter than any skin.
    inner = moved_lm - np.array([part[1].start, part[0].start], dtype=np.float32)
    features = [*blend.eye_polygons(inner), cv2.convexHull(inner[INNER_MOUTH])]
    protect = blend.fill((part[0].stop - part[0].start, part[1].stop - part[1].start), features)
    return colour.match_colour(
        moved[part],
        work.crop[part],
        source_skin.weights[part],
        target_skin.weights[part],
        eye_distance=eye_distance,
        protect=protect,
        keep_tone=light,
        tone_weight=weight,
        edge_light=None if edge is None else (*edge, EDGE_LIGHT_BLUR * work.size),
    )


def edge_light(
    mask: np.ndarray, part: tuple[slice, slice], target_skin: skin.SkinMap, landmarks: np.ndarray, size: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Where (and how far) the painted part's lightness is matched to the template's skin at the mask's
    edge (see colour.match_colour's edge_light): the soft edge on the template's uncovered skin, and a
    weight that is 1 at the edge above the eyes, fading out inwards over EDGE_LIGHT_DEPTH of the face's
    size and below the eyes, so the hairline and temples show no band of different brightness while the
    eyes, nose, mouth and cheeks keep all of their own light. None where the edge shows no skin."""
    edge_mask = mask[part]
    edge = (edge_mask > 0.05) & (edge_mask < 0.95)
    edge &= (target_skin.probability[part] > 0.5) & (target_skin.covered[part] == 0)
    if edge.sum() < 16:
        return None
    inside = cv2.distanceTransform((edge_mask > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    t = np.clip(inside / max(1.0, EDGE_LIGHT_DEPTH * size), 0.0, 1.0)
    offset = np.array([part[1].start, part[0].start], dtype=np.float32)
    weight = (1.0 - t * t * (3.0 - 2.0 * t)) * _above_eyes(edge_mask.shape, landmarks - offset, size)
    return edge, weight.astype(np.float32)


def _above_eyes(shape: tuple[int, int], landmarks: np.ndarray, size: float) -> np.ndarray:
    """Per pixel, 0 below the eyes' line rising to 1 a tenth of the face's size above it (towards the
    brows)."""
    eyes = landmarks[RIGHT_EYE + LEFT_EYE].mean(axis=0)
    up = landmarks[17:27].mean(axis=0) - landmarks[8]
    up = up / max(float(np.linalg.norm(up)), 1e-6)
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    height = (xs - eyes[0]) * up[0] + (ys - eyes[1]) * up[1]
    return np.clip(height / max(1.0, 0.1 * size), 0.0, 1.0)


def tone_weight(mask: np.ndarray, landmarks: np.ndarray, size: float) -> np.ndarray:
    """How far each pixel takes the person's own tone: fully below the eyes; above them (forehead and
    hairline, where the template's skin goes on above the mask) rising from 0 at the mask's edge to 1
    TONE_EDGE of the face's size inside it, so a person much darker or lighter than the template shows no
    edge across the forehead."""
    inside = cv2.distanceTransform((mask > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    t = np.clip(inside / max(1.0, TONE_EDGE * size), 0.0, 1.0)
    fade = t * t * (3.0 - 2.0 * t)
    above = _above_eyes(mask.shape, landmarks, size)
    return (1.0 - above * (1.0 - fade)).astype(np.float32)


def paste_back(
    canvas: np.ndarray, work: WorkArea, recoloured: np.ndarray, mask: np.ndarray, part: tuple[slice, slice]
) -> None:
    """The recoloured face blended through the mask into the canvas (scaled back to full size first
    when the work crop was scaled down)."""
    x1, y1, _, _ = work.box
    if work.crop is work.full:
        canvas[y1 + part[0].start : y1 + part[0].stop, x1 + part[1].start : x1 + part[1].stop] = blend.composite(
            work.crop[part], recoloured, mask[part]
        )
        return
    face = work.crop.copy()
    face[part] = recoloured
    full_size = work.full.shape[1], work.full.shape[0]
    face = cv2.resize(face, full_size, interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(mask, full_size, interpolation=cv2.INTER_LINEAR)
    sx, sy = work.scale
    top, bottom = int(part[0].start / sy), min(work.full.shape[0], int(np.ceil(part[0].stop / sy)))
    left, right = int(part[1].start / sx), min(work.full.shape[1], int(np.ceil(part[1].stop / sx)))
    full_part = (slice(top, bottom), slice(left, right))
    canvas[y1 + top : y1 + bottom, x1 + left : x1 + right] = blend.composite(
        work.full[full_part], face[full_part], mask[full_part]
    )
