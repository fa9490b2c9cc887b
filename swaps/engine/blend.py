"""Masks and blending: which pixels of the moved source face replace the template's, and how softly.

The replaced region is the part of the face that lies inside BOTH faces' outlines (jaw line plus a band of
forehead above the brows), so neither person's background or hair enters and the template's own face
outline and jaw are kept. It always covers both faces' eyes, brows, nose and mouth, so no second pair of
brows and no second mouth shows at the edge; the edge is feathered and lies on skin.
"""

from __future__ import annotations

import cv2
import numpy as np

from .align import JAW, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE

# The forehead band: the brows lifted by this fraction of the brow-to-chin height.
FOREHEAD_FRACTION = 0.12
# The soft edge of the mask, as a fraction of the face's size.
FEATHER_FRACTION = 0.06


def face_outline(landmarks: np.ndarray, *, forehead: float = FOREHEAD_FRACTION) -> np.ndarray:
    """A polygon around the face: the jaw line, then the brows lifted into the forehead."""
    chin = landmarks[8]
    brows = landmarks[RIGHT_BROW + LEFT_BROW]
    centre = brows.mean(axis=0)
    up = centre - chin
    up /= max(float(np.linalg.norm(up)), 1e-6)
    height = float(np.linalg.norm(centre - chin))
    lifted = brows + up * forehead * height
    return np.concatenate([landmarks[JAW], lifted[::-1]]).astype(np.float32)


def features_polygons(landmarks: np.ndarray) -> list[np.ndarray]:
    """Convex hulls over the eyes and brows, and over the nose and mouth."""
    groups = [RIGHT_BROW + LEFT_BROW + RIGHT_EYE + LEFT_EYE, NOSE + MOUTH]
    return [cv2.convexHull(landmarks[g].astype(np.float32)) for g in groups]


def fill(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """A float32 0/1 mask of the filled polygons."""
    mask = np.zeros(shape, dtype=np.uint8)
    for poly in polygons:
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32).reshape(-1, 1, 2)], 1, lineType=cv2.LINE_8)
    return mask.astype(np.float32)


def face_size(landmarks: np.ndarray) -> float:
    """A face's size in pixels: the jaw's width and the brow-to-chin height, geometric mean."""
    width = float(np.linalg.norm(landmarks[16] - landmarks[0]))
    height = float(np.linalg.norm(landmarks[[19, 24]].mean(axis=0) - landmarks[8]))
    return max(1.0, (width * height) ** 0.5)


def swap_mask(shape: tuple[int, int], target: np.ndarray, moved_source: np.ndarray) -> np.ndarray:
    """The feathered float32 mask of the pixels to take from the moved source face."""
    size = face_size(target)
    inside = fill(shape, [face_outline(target)]) * fill(shape, [cv2.convexHull(face_outline(moved_source))])
    feather = max(1.0, FEATHER_FRACTION * size)
    radius = max(1, round(feather))
    # Both faces' features, but never outside the template's face: where the source's brow reaches past
    # the template's cheek (a head turned differently) it would print onto the background.
    features = fill(shape, features_polygons(target) + features_polygons(moved_source))
    features = cv2.dilate(features, _disc(radius // 2)) * fill(shape, [face_outline(target)])
    # Pull the edge inwards by about the feather's width so the soft edge lies on skin, not on the outline
    # (a distance transform: much faster than eroding with a large disc).
    inside = (cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3) > radius).astype(np.float32)
    mask = np.maximum(inside, features)
    return np.clip(cv2.GaussianBlur(mask, (0, 0), feather / 2), 0.0, 1.0)


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def composite(background: np.ndarray, foreground: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Alpha-blend foreground over background with a float mask, rounding back to uint8."""
    alpha = cv2.merge([mask, mask, mask])
    back = background.astype(np.float32)
    out = cv2.add(back, cv2.multiply(cv2.subtract(foreground.astype(np.float32), back), alpha))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
