"""Masks and blending: which pixels of the moved source face replace the template's, and how softly.

The replaced region is the part of the face that lies inside BOTH faces' outlines (jaw line plus a band of
forehead above the brows), so neither person's background or hair enters and the template's own face
outline and jaw are kept. It always covers both faces' eyes, brows, nose and mouth, so no second pair of
brows and no second mouth shows at the edge; the edge is feathered and lies on skin.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..landmarks import JAW, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE
from ..util import dilate, fill_polygons, shrink, shrunk_size

# The forehead band: the brows lifted by this fraction of the brow-to-chin height.
FOREHEAD_FRACTION = 0.12
# The soft edge of the mask, as a fraction of the face's size.
FEATHER_FRACTION = 0.06
# Away from hair over the face, the mask rises to full over this fraction of the face's size.
OCCLUSION_RAMP = 0.04
# Along the face's edge, in a band this fraction of the face's size deep, only skin is painted.
EDGE_BAND = 0.12
# The mask is worked out on a copy scaled so the face is at most this many pixels across, then scaled
# back: it is smooth (its finest detail, what covers the face, comes from skin.WORK_FACE_PX anyway) and
# its dilations and blurs grow with the square of the face's size. At 192 rather than 320: 30 ms less per
# couple on the bench template, the result differs by 0.2 levels on average (99th percentile 2).
MASK_FACE_PX = 192


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


def eye_polygons(landmarks: np.ndarray) -> list[np.ndarray]:
    """Convex hulls over each eye."""
    return [cv2.convexHull(landmarks[g].astype(np.float32)) for g in (RIGHT_EYE, LEFT_EYE)]


def fill(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """A float32 0/1 mask of the filled polygons."""
    return fill_polygons(shape, polygons).astype(np.float32)


def face_size(landmarks: np.ndarray) -> float:
    """A face's size in pixels: the jaw's width and the brow-to-chin height, geometric mean."""
    width = float(np.linalg.norm(landmarks[16] - landmarks[0]))
    height = float(np.linalg.norm(landmarks[[19, 24]].mean(axis=0) - landmarks[8]))
    return max(1.0, (width * height) ** 0.5)


def swap_mask(
    shape: tuple[int, int],
    target: np.ndarray,
    moved_source: np.ndarray,
    *,
    covered: np.ndarray | None = None,
    source_covered: np.ndarray | None = None,
    source_skin: np.ndarray | None = None,
    skin: np.ndarray | None = None,
) -> np.ndarray:
    """The feathered float32 mask of the pixels to take from the moved source face.

    covered (uint8 0/1) marks what must stay the template's (its hair or hands over the face) or must
    not come from the source (the source's own hair): the mask is exactly 0 there and rises over a
    short distance, so a strand of hair keeps its crisp edge; source_covered, the part of it that is the
    source's (never painted, not even for an eye); source_skin (float32 0..1), where the source shows
    skin. skin (float32 0..1), where both images show
    skin: in a band along the face's edge only skin is taken (landmarks on a jaw are a few pixels off,
    and a source's background or a template's hair there must not be painted).
    """
    size = face_size(target)
    if size > MASK_FACE_PX:
        factor = MASK_FACE_PX / size
        return _scaled_mask(shape, target, moved_source, factor, covered, source_covered, source_skin, skin)
    return _mask(shape, target, moved_source, size, covered, source_covered, source_skin, skin)


def _mask(shape, target, moved_source, size, covered, source_covered, source_skin, skin) -> np.ndarray:
    """swap_mask at the crop's own size."""
    both = fill(shape, [face_outline(target)]) * fill(shape, [cv2.convexHull(face_outline(moved_source))])
    inside = both
    feather = max(1.0, FEATHER_FRACTION * size)
    radius = max(1, round(feather))
    # Both faces' features, but never outside either face: where the source's brow reaches past the
    # template's cheek (a head turned differently) it would print onto the background, and where the
    # template's eye lies beyond the source's cheek, the source has only background to give.
    features = fill(shape, features_polygons(target) + features_polygons(moved_source))
    features = dilate(features, radius // 2) * dilate(both, radius // 2)
    # Pull the edge inwards by about the feather's width so the soft edge lies on skin, not on the outline
    # (a distance transform: much faster than eroding with a large disc).
    inside = (cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3) > radius).astype(np.float32)
    mask = np.maximum(inside, features)
    mask = np.clip(cv2.GaussianBlur(mask, (0, 0), feather / 2), 0.0, 1.0)
    if skin is not None:
        depth = cv2.distanceTransform(both.astype(np.uint8), cv2.DIST_L2, 3)
        band = np.clip(1.0 - depth / (EDGE_BAND * size), 0.0, 1.0)
        keep = np.maximum(cv2.GaussianBlur(skin, (0, 0), feather / 4), features)
        mask *= 1.0 - band * (1.0 - keep)
    if covered is not None and covered.any():
        ramp = max(1.0, OCCLUSION_RAMP * size)
        distance = cv2.distanceTransform((1 - covered).astype(np.uint8), cv2.DIST_L2, 3)
        # Exactly 0 on the covering thing, then a smooth rise (a plain ramp shows the work scale's steps).
        factor = np.clip(distance / ramp - 0.5, 0.0, 1.0)
        factor = cv2.GaussianBlur(factor, (0, 0), ramp / 4)
        mask *= np.where(factor < 0.02, 0.0, factor)
    # The eyes always come wholly from one image: where a template's eye sits in shadow next to hair (a
    # face turned away), the rules above could leave half of it, beside the source's eye.
    eyes = dilate(fill(shape, eye_polygons(target)), radius) * both
    if source_covered is not None:
        # ...but never the source's own hair (a source turned the other way has hair where the eye goes).
        eyes *= 1.0 - source_covered
    if source_skin is not None:
        # ...nor its background past a turned cheek: only where the source shows skin.
        eyes *= np.clip(2.0 * source_skin, 0.0, 1.0)
    # The source's own eyes always come along whole.
    eyes = np.maximum(eyes, dilate(fill(shape, eye_polygons(moved_source)), radius // 2) * both)
    return np.maximum(mask, cv2.GaussianBlur(eyes, (0, 0), feather / 2))


def _scaled_mask(shape, target, moved_source, factor, covered, source_covered, source_skin, skin) -> np.ndarray:
    """swap_mask worked out on a copy scaled by factor, returned at full size."""
    height, width = shape
    dims = shrunk_size(shape, factor)
    scale = np.array([dims[0] / width, dims[1] / height], dtype=np.float32)

    def small(plane: np.ndarray | None) -> np.ndarray | None:
        if plane is None:
            return None
        if plane.dtype == np.uint8:  # 0/1: covered wherever any of it was
            return (shrink(plane.astype(np.float32), factor) > 0).astype(np.uint8)
        return shrink(plane, factor)

    target = target * scale
    mask = _mask(
        (dims[1], dims[0]),
        target,
        moved_source * scale,
        face_size(target),
        small(covered),
        small(source_covered),
        small(source_skin),
        small(skin),
    )
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)


def composite(background: np.ndarray, foreground: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Alpha-blend foreground over background with a float mask, rounding back to uint8."""
    alpha = cv2.merge([mask, mask, mask])
    back = background.astype(np.float32)
    out = cv2.add(back, cv2.multiply(cv2.subtract(foreground.astype(np.float32), back), alpha))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
