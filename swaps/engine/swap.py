"""Swapping: one source face into one template face, and a couple into a template.

The classic method (see `swaps.engine.bench` for the measurements behind it): the whole source face is
moved by one similarity transform fitted on the landmarks ("align"), recoloured to the template's light
and colour (`colour.match_colour`), and blended in through a feathered mask over the face (`blend`).
All the work happens on a crop around the target face, so the cost does not grow with the template; a
face bigger than MAX_WORK_FACE_PX is swapped on a scaled-down copy of its crop and put back at full size,
so the cost does not grow with the face either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from . import align, blend, colour, skin
from .classic import estimate_pose
from .imageio import shrink
from .types import Face, TemplateFacesError

if TYPE_CHECKING:
    from .engines import Engine

ROLES = ("husband", "wife")
# The working crop around a target face: its landmarks' extent grown by this fraction of the face size.
CROP_MARGIN = 0.35
# The largest face (see blend.face_size) worked on at full size. A bigger one (a large template: the faces
# of a 6000-pixel-wide photo are 2000 pixels across) is swapped on a copy of its crop scaled down to this
# and put back over the full-size crop, so only the painted face is softer than the template around it:
# at full size the mask's feathering alone took 20 s per face. Sources are rarely sharper than this.
MAX_WORK_FACE_PX = 640
# "align": one similarity transform; "warp": bent fully onto the template's landmarks; "align+warp":
# aligned, then bent part of the way (WARP_STRENGTH) so brows and mouth meet the template's; "local":
# aligned, then bent towards the template's landmarks by a strength that grows with the difference
# between the two faces' turn (yaw), eyes and mouth moved whole (see align.local_goals).
METHODS = ("align", "warp", "align+warp", "local")
DEFAULT_METHOD = "local"
WARP_STRENGTH = 0.5
# The local method's strength: LOCAL_BASE plus the yaw difference (degrees) divided by LOCAL_YAW_SCALE,
# between 0 and LOCAL_MAX. So faces turned within 25 degrees of each other are only aligned (every bend
# towards the template's shape costs some likeness: measured in `swaps.engine.bench`), and the bend
# grows to its full strength at 50 degrees (a frontal photo onto a face in three-quarter view).
LOCAL_BASE = -0.5
LOCAL_YAW_SCALE = 50.0
LOCAL_MAX = 0.5


@contextmanager
def timed(timings: dict[str, float] | None, stage: str):
    """Add the time spent in the block to timings[stage] (when timings is given)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def crop_box(
    points: np.ndarray, size: float, shape: tuple[int, ...], *, margin: float = CROP_MARGIN
) -> tuple[int, int, int, int]:
    """An integer box around points grown by margin * size, clipped to the image."""
    margin = margin * size
    x1, y1 = np.floor(points.min(axis=0) - margin).astype(int)
    x2, y2 = np.ceil(points.max(axis=0) + margin).astype(int)
    height, width = shape[:2]
    return max(0, x1), max(0, y1), min(width, x2), min(height, y2)


def swap_face_classic(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    method: str | None = None,
    timings: dict[str, float] | None = None,
) -> None:
    """Put the source face (in photo) over the target face of canvas, in place. Both need 68 landmarks."""
    method = method or DEFAULT_METHOD
    if method not in METHODS:
        raise ValueError(f"unknown swap method {method!r}")
    assert target.landmarks is not None and source.landmarks is not None
    size = blend.face_size(target.landmarks)
    x1, y1, x2, y2 = crop_box(target.landmarks, size, canvas.shape)
    offset = np.array([x1, y1], dtype=np.float32)
    dst = target.landmarks - offset
    full_crop = canvas[y1:y2, x1:x2]
    crop, scale = _work_copy(full_crop, size)
    dst = dst * scale
    size = blend.face_size(dst)
    shape = crop.shape[:2]
    with timed(timings, "warp"):
        matrix = align.similarity_transform(source.landmarks[align.ALIGN_POINTS], dst[align.ALIGN_POINTS])
        moved = align.warp_into(photo, matrix, (shape[1], shape[0]))
        moved_lm = align.transform_points(matrix, source.landmarks)
        if method == "local":
            turn = abs(estimate_pose(target.landmarks).yaw - estimate_pose(source.landmarks).yaw)
            strength = float(np.clip(LOCAL_BASE + turn / LOCAL_YAW_SCALE, 0.0, LOCAL_MAX))
            moved, moved_lm = _local_warp(moved, moved_lm, dst, strength)
        elif method != "align":
            strength = 1.0 if method == "warp" else WARP_STRENGTH
            goal = moved_lm + strength * (dst - moved_lm)
        if method in ("warp", "align+warp"):
            border = _border_points(shape)
            moved = align.smooth_warp(moved, moved_lm, goal, border, sigma=0.15 * size)
            moved_lm = goal
    with timed(timings, "skin"):
        tgt_skin = skin.skin_map(crop, dst, blend.face_outline(dst), size, template=True)
        src_skin = skin.skin_map(moved, moved_lm, blend.face_outline(moved_lm), size, template=False)
    with timed(timings, "blend"):
        mask = blend.swap_mask(
            shape,
            dst,
            moved_lm,
            covered=tgt_skin.covered | src_skin.covered,
            source_covered=src_skin.covered,
            source_skin=src_skin.probability,
            skin=np.minimum(tgt_skin.probability, src_skin.probability),
        )
        # Colour and composite only where the mask paints (with room for the colour's blur around it).
        ys, xs = np.nonzero(mask > 0)
        if len(xs) == 0:
            return
        room = round(0.1 * size)
        top, bottom = max(0, ys.min() - room), min(shape[0], ys.max() + room + 1)
        left, right = max(0, xs.min() - room), min(shape[1], xs.max() + room + 1)
        part = (slice(top, bottom), slice(left, right))
        corner = np.array([left, top], dtype=np.float32)
    with timed(timings, "colour"):
        eye_distance = float(np.linalg.norm(dst[36:42].mean(axis=0) - dst[42:48].mean(axis=0)))
        # The whites of the eyes and the teeth may stay brighter than any skin.
        inner = moved_lm - corner
        features = [*blend.eye_polygons(inner), cv2.convexHull(inner[align.INNER_MOUTH])]
        protect = blend.fill((bottom - top, right - left), features)
        recoloured = colour.match_colour(
            moved[part],
            crop[part],
            src_skin.weights[part],
            tgt_skin.weights[part],
            eye_distance=eye_distance,
            protect=protect,
        )
    with timed(timings, "blend"):
        if crop is full_crop:
            canvas[y1 + top : y1 + bottom, x1 + left : x1 + right] = blend.composite(crop[part], recoloured, mask[part])
            return
        # Back to full size: the painted part's recoloured face and mask, over the full-size crop.
        face = crop.copy()
        face[part] = recoloured
        full_shape = full_crop.shape[1], full_crop.shape[0]
        face = cv2.resize(face, full_shape, interpolation=cv2.INTER_CUBIC)
        mask = cv2.resize(mask, full_shape, interpolation=cv2.INTER_LINEAR)
        sy, sx = scale[1], scale[0]
        top, bottom = int(top / sy), min(full_crop.shape[0], int(np.ceil(bottom / sy)))
        left, right = int(left / sx), min(full_crop.shape[1], int(np.ceil(right / sx)))
        part = (slice(top, bottom), slice(left, right))
        canvas[y1 + top : y1 + bottom, x1 + left : x1 + right] = blend.composite(
            full_crop[part], face[part], mask[part]
        )


def _work_copy(crop: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """The crop to work on for a face of this size, and its scale per axis (x, y): the crop itself, or a
    copy scaled down so the face is MAX_WORK_FACE_PX across."""
    if size <= MAX_WORK_FACE_PX:
        return crop, np.ones(2, dtype=np.float32)
    small = shrink(crop, MAX_WORK_FACE_PX / size)
    return small, np.array([small.shape[1] / crop.shape[1], small.shape[0] / crop.shape[0]], dtype=np.float32)


def _local_warp(
    moved: np.ndarray, moved_lm: np.ndarray, dst: np.ndarray, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """The aligned source bent `strength` of the way towards the template's landmarks (align.local_goals),
    piecewise affine over the landmarks and the lifted forehead outline; less when the full bend would
    fold the face (landmarks of a strongly turned face cross), not at all if even a little would."""
    for attempt in (strength, strength / 2, strength / 4):
        goal = align.local_goals(moved_lm, dst, attempt)
        # The forehead's outline points, so the forehead moves with the brows.
        points = np.concatenate([moved_lm, blend.face_outline(moved_lm)[17:]])
        goals = np.concatenate([goal, blend.face_outline(goal)[17:]])
        warped = align.piecewise_warp(moved, points, goals)
        if warped is not None:
            return warped, goal
    return moved, moved_lm


def _border_points(shape: tuple[int, int], count: int = 8) -> np.ndarray:
    """Points spread along a crop's border (kept still by the local warp)."""
    height, width = shape
    xs = np.linspace(0, width - 1, count)
    ys = np.linspace(0, height - 1, count)
    top = np.stack([xs, np.zeros(count)], 1)
    bottom = np.stack([xs, np.full(count, height - 1)], 1)
    left = np.stack([np.zeros(count), ys], 1)
    right = np.stack([np.full(count, width - 1), ys], 1)
    return np.concatenate([top, bottom, left, right]).astype(np.float32)


def swap_couple(
    template: np.ndarray,
    template_faces: Mapping[str, Face],
    husband_photo: np.ndarray,
    wife_photo: np.ndarray,
    *,
    engine: Engine,
    progress: Callable[[str], Any] | None = None,
    source_faces: Mapping[str, Face | None] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Both faces of a couple swapped into a template: (result RGB image, report).

    template_faces maps "husband" and "wife" to the template's faces (a face without 68 landmarks is
    drawn art and takes the ACG path). The source faces are found with `engine.source_face`, so a photo
    that cannot be used raises the same plain-language EngineError the upload check gives. progress, when
    given, is called with "detect", "husband" and "wife" before each stage. source_faces may give a
    role's face already found in its photo (by an earlier check of the same photo): it is used as it is.
    The report: {"engine", "seconds", "timings": {stage: seconds}, "faces": [{"role", "target_box",
    "source_box", "yaw", "roll", "notes"}, ...]}.
    """
    start = time.perf_counter()
    missing = [role for role in ROLES if template_faces.get(role) is None]
    if missing:
        raise TemplateFacesError(
            f"This template has no {' and no '.join(missing)} face marked; please choose another template."
        )
    timings: dict[str, float] = {}
    if progress:
        progress("detect")
    sources = {}
    for role, photo in (("husband", husband_photo), ("wife", wife_photo)):
        known = (source_faces or {}).get(role)
        if known is not None:
            if known.landmarks is not None and "pose" not in known.extra:
                known.extra["pose"] = estimate_pose(known.landmarks)
            sources[role] = (known, [])
        else:
            sources[role] = engine.source_face(photo, role=role, timings=timings)
    result = np.ascontiguousarray(template).copy()
    faces = []
    for role, photo in (("husband", husband_photo), ("wife", wife_photo)):
        if progress:
            progress(role)
        face, notes = sources[role]
        target = template_faces[role]
        engine.swap_face(result, target, photo, face, timings=timings)
        pose = face.extra.get("pose")
        faces.append(
            {
                "role": role,
                "target_box": [round(float(v), 1) for v in target.box],
                "source_box": [round(float(v), 1) for v in face.box],
                "yaw": round(float(pose.yaw), 1) if pose else 0.0,
                "roll": round(float(pose.roll), 1) if pose else 0.0,
                "notes": notes,
            }
        )
    seconds = time.perf_counter() - start
    return result, {
        "engine": engine.name,
        "seconds": round(seconds, 4),
        "timings": {stage: round(value, 4) for stage, value in timings.items()},
        "faces": faces,
    }
