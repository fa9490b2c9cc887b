"""Moving a person's face into a template face's pose and expression along the dense mesh.

The person's mesh (shared.mesh: 478 points with depth) is fitted onto the template face's by one 3D
similarity (rotation, scale, shift) on the points that carry the face's build rather than its expression
(everything but the lips, the eyelids and the irises): the person's own face, turned and tilted as the
template's head is. The lips and eyelids then move most of the way to the template's (its mouth open or
closed, its smile, how open its eyes are), and the irises go where the template looks, so the result
keeps the template's pose, expression and gaze while the face keeps the person's build and features.

The photo is then drawn into the template's crop triangle by triangle (the mesh's own triangulation,
plus fans over the mouth's and eyes' openings), far triangles first, so a turned nose covers the cheek
behind it instead of folding over it; outside the mesh the photo follows the 2D similarity of the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import align
from .mesh import (
    EYE_LEFT,
    EYE_RIGHT,
    IRIS_LEFT,
    IRIS_RIGHT,
    LIPS_INNER,
    LIPS_OUTER,
    MESH_POINTS,
    triangles,
)

# How far the lips and the eyelids move from the person's towards the template's (1: all the way; the
# inner lips all the way left a wider dark line between closed lips, as the mesh measures it).
LIPS_TO_TEMPLATE = 0.85
LIDS_TO_TEMPLATE = 0.8
# A triangle stretched this many times more than the face as a whole is one the photo sees edge-on.
UNSEEN_STRETCH = 4.0
# The points fitted for the head's pose: all but what expression moves.
_EXPRESSION = set(LIPS_OUTER + LIPS_INNER + EYE_LEFT + EYE_RIGHT + IRIS_LEFT + IRIS_RIGHT)
POSE_POINTS = np.array([i for i in range(468) if i not in _EXPRESSION], dtype=np.int32)
# Extra points of the warp: the middle of the mouth's opening (the hub of its fan).
MOUTH_HUB = MESH_POINTS


@dataclass
class MeshMove:
    """A person's photo drawn into the template's crop along the mesh."""

    image: np.ndarray  # the moved photo (crop-sized)
    goals: np.ndarray  # (478, 3) where the person's mesh lies in the crop
    landmarks: np.ndarray  # the person's 68 landmarks moved the same way (crop pixels)
    mouth_opening: np.ndarray  # the goal's inner-lip polygon (crop pixels)
    unseen: np.ndarray  # uint8 0/1: drawn from triangles the photo hardly shows (turned away from it)


def similarity_3d(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, rotation, shift) that best map src points onto dst points in 3D (Umeyama)."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[2, 2] = -1
    rotation = u @ d @ vt
    scale = float(np.trace(np.diag(s) @ d) / max((src_c**2).sum() / len(src), 1e-12))
    return scale, rotation, dst_mean - scale * rotation @ src_mean


def goal_mesh(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where the person's mesh goes: their face in the template's pose, lips and lids moved most of the
    way to the template's, irises where the template's look (both meshes in the template crop's units for
    the target, any units for the source)."""
    src, dst = source.astype(np.float64), target.astype(np.float64)
    scale, rotation, shift = similarity_3d(src[POSE_POINTS], dst[POSE_POINTS])
    goals = scale * src @ rotation.T + shift
    moves = ((LIPS_OUTER + LIPS_INNER, LIPS_TO_TEMPLATE), (EYE_LEFT + EYE_RIGHT, LIDS_TO_TEMPLATE))
    for group, weight in moves:
        goals[group] += weight * (dst[group] - goals[group])
    # The irises keep their place relative to the eye as the template's do (its gaze).
    for eye, iris in ((EYE_LEFT, IRIS_LEFT), (EYE_RIGHT, IRIS_RIGHT)):
        goals[iris] = dst[iris] - dst[eye].mean(axis=0) + goals[eye].mean(axis=0)
    return goals.astype(np.float32)


def _fan(contour: list[int], hub: int) -> list[tuple[int, int, int]]:
    return [(hub, contour[i], contour[(i + 1) % len(contour)]) for i in range(len(contour))]


def _all_triangles() -> tuple[np.ndarray, np.ndarray]:
    """The mesh's triangles plus fans over the mouth's opening (round MOUTH_HUB) and each eye's (round its
    iris centre), and whether each is one of those openings (drawn first: lips and lids cover them)."""
    openings = _fan(LIPS_INNER, MOUTH_HUB) + _fan(EYE_LEFT, IRIS_LEFT[0]) + _fan(EYE_RIGHT, IRIS_RIGHT[0])
    mesh = triangles()
    all_triangles = np.concatenate([np.array(openings, dtype=np.int32), mesh])
    is_opening = np.zeros(len(all_triangles), dtype=bool)
    is_opening[: len(openings)] = True
    return all_triangles, is_opening


def _with_hub(points: np.ndarray) -> np.ndarray:
    hub = (points[13] + points[14]) / 2
    return np.concatenate([points, hub[None]])


def move_along_mesh(
    photo: np.ndarray,
    source_mesh: np.ndarray,
    target_mesh: np.ndarray,
    source_landmarks: np.ndarray,
    size: tuple[int, int],
) -> MeshMove:
    """The photo drawn into a crop of size (width, height) so the person's mesh lands on goal_mesh(source,
    target) (target in the crop's pixels), with the person's 68 landmarks moved the same way."""
    goals = goal_mesh(source_mesh, target_mesh)
    src2 = _with_hub(source_mesh[:, :2].astype(np.float64))
    dst2 = _with_hub(goals[:, :2].astype(np.float64))
    depth = np.concatenate([goals[:, 2], [goals[[13, 14], 2].mean()]])
    tris, is_opening = _all_triangles()
    width, height = size
    # Far triangles first, the openings first of all: what is nearer the camera covers them.
    order = np.lexsort((-depth[tris].mean(axis=1), ~is_opening))
    index = np.full((height, width), -1, dtype=np.int32)
    for i in order:
        cv2.fillConvexPoly(index, np.round(dst2[tris[i]]).astype(np.int32), int(i), lineType=cv2.LINE_8)
    maps = np.stack(
        [cv2.getAffineTransform(dst2[t].astype(np.float32), src2[t].astype(np.float32)) for t in tris]
    ).reshape(len(tris), 6)
    # Outside the mesh: the face's 2D similarity, from the crop back to the photo.
    outside = cv2.invertAffineTransform(
        align.similarity_transform(source_mesh[POSE_POINTS, :2], goals[POSE_POINTS, :2]).astype(np.float32)
    )
    maps = np.concatenate([maps, outside.reshape(1, 6)]).astype(np.float32)
    unseen_triangles = np.zeros(len(tris) + 1, dtype=np.uint8)
    unseen_triangles[: len(tris)] = _unseen(src2, dst2, tris, is_opening)
    index[index < 0] = len(tris)
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    a, b, c, d, e, f = (np.take(plane, index) for plane in maps.T)
    moved = cv2.remap(
        photo, a * xs + b * ys + c, d * xs + e * ys + f, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )
    landmarks = _move_points(source_landmarks.astype(np.float64), src2, dst2, tris[~is_opening])
    return MeshMove(
        image=moved,
        goals=goals,
        landmarks=landmarks,
        mouth_opening=dst2[LIPS_INNER].astype(np.float32),
        unseen=np.take(unseen_triangles, index),
    )


def _signed_areas(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _unseen(src: np.ndarray, dst: np.ndarray, tris: np.ndarray, is_opening: np.ndarray) -> np.ndarray:
    """Which triangles the photo hardly shows: turned away from its camera (their orientation flips
    between the photo and the goal) or seen at a glancing angle (stretched UNSEEN_STRETCH times more than
    the face as a whole). Their pixels are made up from the person's own skin rather than taken from
    whatever the photo has there (the far side of a turned face is often background)."""
    src_area, dst_area = _signed_areas(src, tris), _signed_areas(dst, tris)
    flipped = src_area * dst_area <= 0
    stretch = np.abs(dst_area) / np.maximum(np.abs(src_area), 1e-6)
    typical = float(np.median(stretch[~is_opening & ~flipped])) if (~is_opening & ~flipped).any() else 1.0
    return ((flipped | (stretch > UNSEEN_STRETCH * typical)) & ~is_opening).astype(np.uint8)


def _move_points(points: np.ndarray, src: np.ndarray, dst: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Points of the photo moved as the triangle holding each moves (the nearest triangle's map for a
    point outside the mesh)."""
    a, b, c = src[tris[:, 0]], src[tris[:, 1]], src[tris[:, 2]]
    v0, v1 = b - a, c - a
    det = v0[:, 0] * v1[:, 1] - v0[:, 1] * v1[:, 0]
    det = np.where(np.abs(det) < 1e-9, 1e-9, det)
    moved = np.empty_like(points)
    centres = (a + b + c) / 3
    for k, p in enumerate(points):
        w = p - a
        u = (w[:, 0] * v1[:, 1] - w[:, 1] * v1[:, 0]) / det
        v = (v0[:, 0] * w[:, 1] - v0[:, 1] * w[:, 0]) / det
        inside = (u >= -1e-6) & (v >= -1e-6) & (u + v <= 1 + 1e-6)
        i = int(np.argmax(inside)) if inside.any() else int(np.argmin(np.linalg.norm(centres - p, axis=1)))
        t = tris[i]
        moved[k] = dst[t[0]] + u[i] * (dst[t[1]] - dst[t[0]]) + v[i] * (dst[t[2]] - dst[t[0]])
    return moved.astype(np.float32)
