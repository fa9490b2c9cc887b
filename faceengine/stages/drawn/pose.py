"""Pose: a photo turned differently from the drawn face is straightened (`straighten`: its landmarks made
mirror-symmetric), and its features are moved whole, shapes kept, to where the drawing has its eyes, nose
and mouth (`drawn_layout`: the drawing's proportions and pose, the person's features); the photo is bent
there piecewise (align.piecewise_warp, `bend`)."""

from __future__ import annotations

import math

import numpy as np

from ...landmarks import LEFT_BROW, LEFT_EYE, MOUTH, RIGHT_BROW, RIGHT_EYE, estimate_pose, kps_from_landmarks
from ...shared import align
from .region import face_frame

# Pose. A drawn face's turn is read from its nose tip's offset along the eye line (in eye distances):
# the nose tip stands NOSE_DEPTH eye distances in front of the eyes, so the offset is NOSE_DEPTH * tan(yaw).
NOSE_DEPTH = 0.55
# dlib's 68 points mirrored left to right (each point's partner on the other half of the face).
MIRROR = np.array(
    [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
     26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
     27, 28, 29, 30, 35, 34, 33, 32, 31,
     45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
     54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
     64, 63, 62, 61, 60, 67, 66, 65],
)  # fmt: skip
# The nose bridge's points (27, 28, 29) move this share of the nose tip's way to the drawn nose (the rest:
# the eyes' way), so the bridge bends smoothly from between the eyes to the tip.
NOSE_BRIDGE_SHARE = (0.25, 0.5, 0.75)
# The bend towards the drawn layout is tried at these strengths, the first that folds nothing kept.
BEND_STRENGTHS = (1.0, 0.66, 0.33)


def drawn_turn(kps: np.ndarray) -> float:
    """How far a drawn face is turned (degrees; positive: its nose tip towards the image's right eye), from
    its nose tip's offset along the eye line."""
    centre, across, _ = face_frame(kps)
    offset = float(np.dot(kps[2] - centre, across)) / max(float(np.linalg.norm(kps[1] - kps[0])), 1e-6)
    return math.degrees(math.atan(offset / NOSE_DEPTH))


def photo_turn(landmarks: np.ndarray) -> float:
    """A photographed face's turn in drawn_turn's sense (estimate_pose's yaw is positive the other way)."""
    return -estimate_pose(landmarks).yaw


def straighten(landmarks: np.ndarray) -> np.ndarray:
    """The 68 landmarks of the same face seen from the front: made symmetric about the face's midline
    (each point and its mirror partner meet halfway, so each half is the mean of the person's two halves).
    The drawn face's own pose then comes from drawn_layout, which puts the features where it has them."""
    centre, across, down = face_frame(kps_from_landmarks(landmarks))
    u, v = (landmarks - centre) @ across, (landmarks - centre) @ down
    middle = float(u.mean())
    u = middle + (u - u[MIRROR]) / 2
    v = (v + v[MIRROR]) / 2
    return (centre + np.outer(u, across) + np.outer(v, down)).astype(np.float32)


def drawn_layout(landmarks: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The landmarks with the face's features where the drawing has them: each eye (with its brow), the
    nose and the mouth moved whole, their shapes kept (the person's likeness), so their centres land on
    the drawn eyes, nose tip and mouth (drawn faces have their own proportions: eyes set wide and low, a
    small mouth far below). The nose bridge moves part of the way, between the eyes' and the tip's moves;
    the jaw stays where fit_to_drawn put it, filling the drawn face."""
    goals = landmarks.astype(np.float32).copy()
    eye_shifts = []
    for eye, brow, point in ((RIGHT_EYE, RIGHT_BROW, kps[0]), (LEFT_EYE, LEFT_BROW, kps[1])):
        shift = point - landmarks[eye].mean(axis=0)
        goals[eye + brow] += shift
        eye_shifts.append(shift)
    tip = kps[2] - landmarks[30]
    goals[30:36] += tip
    for index, share in zip(range(27, 30), NOSE_BRIDGE_SHARE, strict=True):
        goals[index] += (1 - share) * np.mean(eye_shifts, axis=0) + share * tip
    goals[MOUTH] += kps[3:].mean(axis=0) - (landmarks[48] + landmarks[54]) / 2
    return goals


def bend(moved: np.ndarray, points: np.ndarray, goals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The moved photo bent so its landmarks land on goals (or as far towards them as it can without
    folding), and where they landed."""
    for strength in BEND_STRENGTHS:
        reached = points + strength * (goals - points)
        bent = align.piecewise_warp(moved, points, reached)
        if bent is not None:
            return bent, reached.astype(np.float32)
    return moved, points
