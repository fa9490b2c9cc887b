"""The drawn face's own outline takes the person's face shape (`reshape_face`): the drawing's lower face is
bent so its jaw is as much wider or narrower (against its cheeks) and its chin as much longer or shorter
as the person's differ from the average face's, times SHAPE_GAIN. The drawing's own outline, neck shadow
and chin move with it, so the face keeps the drawing's lines and takes the person's shape; above the nose
and beyond a band around the face nothing moves."""

from __future__ import annotations

import cv2
import numpy as np

from .region import drawn_width, face_frame
from .traits import TRAIT_NAMES

SHAPE_GAIN = 1.5
# The most the drawn jaw's width and the chin's length change (relative).
JAW_LIMIT = 0.14
CHIN_LIMIT = 0.18
# The bend fades out beyond the face: over REACH_ACROSS of the drawn face's width past its sides, and
# over REACH_BELOW of the mouth-to-chin length below the chin (the neck).
REACH_ACROSS = 0.3
REACH_BELOW = 0.8


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def chin_depth(region: np.ndarray, kps: np.ndarray) -> float:
    """How far below the eyes' midpoint the drawn face ends, along the face's down axis, near its middle
    (pixels)."""
    centre, across, down = face_frame(kps)
    ys, xs = np.nonzero(region)
    if len(xs) == 0:
        return 0.0
    u = (xs - centre[0]) * across[0] + (ys - centre[1]) * across[1]
    v = (xs - centre[0]) * down[0] + (ys - centre[1]) * down[1]
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    near = np.abs(u) < 0.2 * eye_distance
    return float(v[near].max()) if near.any() else float(v.max())


def shape_change(deviation: np.ndarray) -> tuple[float, float]:
    """How much wider the drawn jaw and longer the drawn chin become (relative) for a person whose shape
    deviates so from the average face."""
    jaw = deviation[TRAIT_NAMES.index("jaw_to_cheek")]
    chin = deviation[TRAIT_NAMES.index("chin_length")]
    return (
        float(np.clip(SHAPE_GAIN * jaw, -JAW_LIMIT, JAW_LIMIT)),
        float(np.clip(SHAPE_GAIN * chin, -CHIN_LIMIT, CHIN_LIMIT)),
    )


def reshape_maps(
    shape: tuple[int, int], region: np.ndarray, kps: np.ndarray, jaw: float, chin: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """For each pixel of the reshaped crop, where it comes from in the drawing (cv2.remap maps); None when
    nothing moves."""
    if abs(jaw) < 1e-3 and abs(chin) < 1e-3:
        return None
    centre, across, down = face_frame(kps)
    half_width = drawn_width(region, kps) / 2
    mouth = float(np.dot(kps[3:].mean(axis=0) - centre, down))
    nose = float(np.dot(kps[2] - centre, down))
    bottom = max(chin_depth(region, kps), mouth + 1.0)
    length = bottom - mouth
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    u = (xs - centre[0]) * across[0] + (ys - centre[1]) * across[1]
    v = (xs - centre[0]) * down[0] + (ys - centre[1]) * down[1]
    sideways = 1.0 - _smoothstep((np.abs(u) - half_width) / (REACH_ACROSS * 2 * half_width))
    # The chin: the mouth-to-chin stretch scaled, the neck below following and fading out.
    new_bottom = mouth + length * (1.0 + chin)
    reach = REACH_BELOW * length
    lowered = np.where(
        v <= mouth,
        0.0,
        np.where(
            v <= new_bottom,
            (v - mouth) * chin / (1.0 + chin),
            length * chin * (1.0 - _smoothstep((v - new_bottom) / reach)),
        ),
    )
    source_v = v - lowered * sideways
    # The jaw: widened or narrowed from nothing at the nose to all of it at the mouth and below, fading
    # out below the (new) chin.
    depth = _smoothstep((source_v - nose) / max(mouth - nose, 1.0)) * (1.0 - _smoothstep((source_v - bottom) / reach))
    source_u = u / (1.0 + jaw * depth * sideways)
    map_x = centre[0] + source_u * across[0] + source_v * down[0]
    map_y = centre[1] + source_u * across[1] + source_v * down[1]
    return map_x.astype(np.float32), map_y.astype(np.float32)


def reshape_face(
    crop: np.ndarray, region: np.ndarray, kps: np.ndarray, deviation: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The drawn crop and its face region with the lower face reshaped to the person's (see the module
    docstring)."""
    jaw, chin = shape_change(deviation)
    maps = reshape_maps(crop.shape[:2], region, kps, jaw, chin)
    if maps is None:
        return crop, region
    reshaped = cv2.remap(crop, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    moved = cv2.remap(region, *maps, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return reshaped, moved
