"""Geometry of a swap: fitting the source face onto the target's landmarks, and moving it there.

The source face is moved by one similarity transform fitted by least squares (Procrustes/Umeyama) on
the inner landmarks, so the person keeps the proportions of their own face; where the two faces are
turned differently, `local_goals` and `piecewise_warp` then bend it part of the way towards the
template's landmarks (see pipeline.LOCAL_BASE).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..landmarks import JAW, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE

# The local warp moves each eye at least this part of the way onto the template's eye, so the two never
# sit side by side when the faces are turned differently.
EYE_STRENGTH = 0.7
# The local warp scales the mouth towards the template's width by at most this factor either way.
MOUTH_SCALE_LIMIT = 1.25
# The points the alignment is fitted on: everything but the jaw line, whose shape differs most
# between people and with the head's turn.
ALIGN_POINTS = RIGHT_BROW + LEFT_BROW + NOSE + RIGHT_EYE + LEFT_EYE + MOUTH


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 matrix (rotation, uniform scale, translation) that best maps src points onto dst points."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    src_var = (src_c**2).sum() / len(src)
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:  # no reflections
        d[1, 1] = -1
    rotation = u @ d @ vt
    scale = float(np.trace(np.diag(s) @ d) / max(src_var, 1e-12))
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine matrix to (n, 2) points."""
    points = np.asarray(points, dtype=np.float64)
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def warp_into(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The source image moved by `matrix` into an output of size (width, height)."""
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def local_goals(moved: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """Where the aligned source landmarks should go so the face meets the template's pose, part of the way.

    The outline, brows and nose move `strength` of the way to the template's points. Each eye and the
    mouth move as one piece (their centre goes `strength` of the way, the eyes' at least EYE_STRENGTH;
    their shape stays the source's), so
    an eye is never stretched into two and an open mouth is never smeared over a closed one (or the
    other way round); the mouth is scaled towards the template's width by at most MOUTH_SCALE_LIMIT.
    """
    goals = moved + strength * (target - moved)
    eyes = max(strength, EYE_STRENGTH) if strength > 0 else 0.0
    for group in (RIGHT_EYE, LEFT_EYE):
        goals[group] = moved[group] + eyes * (target[group].mean(axis=0) - moved[group].mean(axis=0))
    centre = moved[MOUTH].mean(axis=0)
    goal_centre = centre + strength * (target[MOUTH].mean(axis=0) - centre)
    width = float(np.linalg.norm(moved[54] - moved[48]))
    target_width = float(np.linalg.norm(target[54] - target[48]))
    scale = float(np.clip((target_width / max(width, 1e-6)) ** strength, 1 / MOUTH_SCALE_LIMIT, MOUTH_SCALE_LIMIT))
    goals[MOUTH] = goal_centre + scale * (moved[MOUTH] - centre)
    return goals.astype(np.float32)


def widen_outline(outline: np.ndarray, target: np.ndarray, target_outline: np.ndarray, margin: float) -> np.ndarray:
    """A face outline (blend.face_outline: the jaw line, then the lifted brows back) with each side pushed
    outwards, across the face, until it passes the template's features (`target`: its 68 landmarks) by
    `margin` pixels, but never past the template's outline: a turned source's far cheek is narrower than
    a frontal template's, and the strip between them would keep the template's own mouth corner, cheek
    and eye edge beside the person's.

    Only outwards and only across the face (never down: the chin and the face's length stay the
    person's); the chin and the middle of the forehead stay put. Along the outline the push is evened out
    (no point pushed less than the mean of its neighbours), so no point falls back inside the line through
    its neighbours, where the bend would fold the face (see `piecewise_warp`).
    """
    across = target[16] - target[0]
    across = across / max(float(np.linalg.norm(across)), 1e-6)
    count = len(outline)
    # Which way is outwards for each point: the jaw's first half and the forehead's last half are on the
    # image's left (the face's right side); the chin and the forehead's middle (pins) do not move.
    side = np.zeros(count, dtype=np.float32)
    side[: len(JAW) // 2] = -1.0
    side[len(JAW) // 2 + 1 : len(JAW)] = 1.0
    forehead = count - len(JAW)
    side[len(JAW) : len(JAW) + forehead // 2] = 1.0
    side[len(JAW) + forehead // 2 :] = -1.0
    pins = [len(JAW) // 2, len(JAW) + forehead // 2 - 1, len(JAW) + forehead // 2]
    # How far out each point should be: past the template's features on its side, within its outline. The
    # jaw's points pass the eyes, nose and mouth, the forehead's the brows too: a brow's tail reaches past
    # the eye's corner, and pushing the jaw past it stretched a frontal astronaut's cheek out to the ear of
    # the closeup woman (turned 25 degrees), the cheek's shaded edge a grey patch there.
    features = target[len(JAW) :] @ across
    below = features[len(RIGHT_BROW + LEFT_BROW) :]
    wanted = np.where(side < 0, -(features.min() - margin), features.max() + margin)
    wanted[: len(JAW)] = np.where(side[: len(JAW)] < 0, -(below.min() - margin), below.max() + margin)
    wanted = np.minimum(wanted, side * (target_outline @ across))
    push = np.clip(wanted - side * (outline @ across), 0.0, None).astype(np.float32)
    push[pins] = 0.0
    for _ in range(count):
        push = np.maximum(push, (np.roll(push, 1) + np.roll(push, -1)) / 2)
        push[pins] = 0.0
    return (outline + (push * side)[:, None] * across).astype(np.float32)


def piecewise_warp(
    image: np.ndarray, moved: np.ndarray, goals: np.ndarray, *, with_area: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray] | None:
    """Bend `image` so the points `moved` land on `goals`: one affine map per triangle of the goals'
    Delaunay triangulation (the crop's corners and edge midpoints stay still), so the bend never folds
    as long as no triangle turns over. None when one would (the caller asks for less).

    with_area: also how much of the input each output pixel shows (float32: below 1 where stretched).
    """
    # Imported here: scipy.spatial takes 0.4 s to import, which a worker pays once in warm_up before it
    # forks rather than every web process that imports the engine.
    from scipy.spatial import Delaunay

    height, width = image.shape[:2]
    frame = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1], [width / 2, 0], [width - 1, height / 2],
         [width / 2, height - 1], [0, height / 2]],
        dtype=np.float64,
    )  # fmt: skip
    src = np.concatenate([moved.astype(np.float64), frame])
    dst = np.concatenate([goals.astype(np.float64), frame])
    triangles = Delaunay(dst).simplices
    # A triangle that turns over between the two point sets would fold the image onto itself.
    if (_signed_areas(src[triangles]) * _signed_areas(dst[triangles]) <= 0).any():
        return None
    index = np.full((height, width), -1, dtype=np.int32)
    for i, tri in enumerate(triangles):
        cv2.fillConvexPoly(index, np.round(dst[tri]).astype(np.int32), i, lineType=cv2.LINE_8)
    # Each triangle's affine map from the output (goals) back to the input (moved).
    maps = np.stack([cv2.getAffineTransform(dst[t].astype(np.float32), src[t].astype(np.float32)) for t in triangles])
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    index = np.maximum(index, 0)
    # Each pixel's six coefficients, gathered one plane at a time (twice as fast as gathering the
    # matrices whole); by a lookup table when the triangles fit in one (a byte index: several times faster).
    gather = _gatherer(index, len(triangles))
    a, b, c, d, e, f = (gather(plane) for plane in maps.reshape(len(triangles), 6).T.astype(np.float32))
    # (In place, in the same order: a * xs + b * ys + c.)
    map_x = a * xs
    map_x += b * ys
    map_x += c
    map_y = d * xs
    map_y += e * ys
    map_y += f
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    if not with_area:
        return warped
    # How much of the input each output pixel shows (its triangle's area in the input over its area in
    # the output): below 1 where the bend stretches the image.
    ratio = _signed_areas(src[triangles]) / _signed_areas(dst[triangles])
    return warped, gather(ratio.astype(np.float32))


def _gatherer(index: np.ndarray, count: int):
    """A function taking a per-triangle table (float32, count values) to its value at every pixel of
    index (the pixel's triangle): np.take, or cv2.LUT on a byte index when there are at most 256."""
    if count > 256:
        return lambda table: np.take(table, index)
    small = index.astype(np.uint8)

    def gather(table: np.ndarray) -> np.ndarray:
        lut = np.zeros(256, dtype=np.float32)
        lut[:count] = table
        return cv2.LUT(small, lut)

    return gather


def _signed_areas(triangles: np.ndarray) -> np.ndarray:
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
