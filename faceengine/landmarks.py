"""dlib's 68-point face layout, the five key points taken from it, and the head pose it shows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

JAW = list(range(0, 17))
RIGHT_BROW = list(range(17, 22))  # the brow on the image's left
LEFT_BROW = list(range(22, 27))
NOSE = list(range(27, 36))
RIGHT_EYE = list(range(36, 42))
LEFT_EYE = list(range(42, 48))
MOUTH = list(range(48, 68))
INNER_MOUTH = list(range(60, 68))
OUTER_MOUTH = list(range(48, 60))


@dataclass
class Pose:
    """Head pose estimated from the 68 landmarks, in degrees (yaw: 0 = looking at the camera)."""

    yaw: float
    roll: float


def kps_from_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """The five key points (eyes, nose tip, mouth corners) from dlib's 68 landmarks."""
    return np.array(
        [
            landmarks[RIGHT_EYE].mean(axis=0),
            landmarks[LEFT_EYE].mean(axis=0),
            landmarks[30],
            landmarks[48],
            landmarks[54],
        ],
        dtype=np.float32,
    )


def estimate_pose(landmarks: np.ndarray) -> Pose:
    """Yaw from where the nose sits between the face's outline, roll from the line through the eyes.

    The yaw is measured in the face's own frame (the roll turned away), so a face tilted in the picture,
    or a photo lying on its side, gets the same yaw as upright."""
    left_eye, right_eye = landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)
    dx, dy = right_eye - left_eye
    roll = math.degrees(math.atan2(dy, dx))
    cos, sin = dx / max(math.hypot(dx, dy), 1e-6), dy / max(math.hypot(dx, dy), 1e-6)
    # x along the eye line: the face's own horizontal axis.
    landmarks = np.stack([landmarks[:, 0] * cos + landmarks[:, 1] * sin, landmarks[:, 1]], axis=1)
    # Distances from the nose bridge/tip line to the jaw outline on each side at eye-to-mouth height.
    nose_x = float(landmarks[27:31, 0].mean())
    left = nose_x - float(landmarks[0:4, 0].mean())
    right = float(landmarks[13:17, 0].mean()) - nose_x
    total = max(left + right, 1e-6)
    # 0 when both sides are equal, +-1 when one side vanishes; asin maps that onto an angle.
    asymmetry = float(np.clip((right - left) / total, -1.0, 1.0))
    yaw = math.degrees(math.asin(asymmetry))
    return Pose(yaw=yaw, roll=roll)
