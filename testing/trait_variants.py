"""The shared people with what none of them has: glasses and facial hair drawn onto their photos, for the
drawn-art traits (the shared photos show no glasses and no beard). Each variant is drawn from the photo's
own 68 landmarks, so it sits where a real one would: the frames around the eyes and across the nose
bridge, the stubble or beard over the upper lip, the chin and the jaw below the mouth.
"""

from __future__ import annotations

import cv2
import numpy as np

# Frames: each rim an ellipse around the eye (RIM_AXES of the eye distance), its line RIM_WIDTH of the eye
# distance wide, near-black; the bridge between the rims; the arms to the face's sides.
RIM_AXES = (0.42, 0.3)
RIM_WIDTH = 0.05
FRAME_RGB = (25, 22, 20)
# Facial hair: dots (one per HAIR_SPACING of the face's size, on average) darkening the skin by HAIR_DARK,
# over the upper lip and down the chin and the jaw below the mouth.
HAIR_SPACING = {"stubble": 0.012, "beard": 0.006}
HAIR_DARK = {"stubble": 0.45, "beard": 0.75}


def with_glasses(photo: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The photo with a pair of dark full-rimmed glasses drawn over the eyes."""
    out = photo.copy()
    lm = landmarks.astype(np.float64)
    right, left = lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)
    distance = float(np.linalg.norm(left - right))
    angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
    width = max(1, round(RIM_WIDTH * distance))
    axes = (round(RIM_AXES[0] * distance), round(RIM_AXES[1] * distance))
    for centre in (right, left):
        cv2.ellipse(out, tuple(int(v) for v in np.round(centre)), axes, angle, 0, 360, FRAME_RGB, width, cv2.LINE_AA)
    across = (left - right) / distance
    inner_r = right + across * axes[0]
    inner_l = left - across * axes[0]
    cv2.line(out, tuple(int(v) for v in inner_r), tuple(int(v) for v in inner_l), FRAME_RGB, width, cv2.LINE_AA)
    for centre, side, jaw in ((right, -1, lm[0]), (left, 1, lm[16])):
        start = centre + side * across * axes[0]
        cv2.line(out, tuple(int(v) for v in start), tuple(int(v) for v in jaw), FRAME_RGB, width, cv2.LINE_AA)
    return out


def with_facial_hair(photo: np.ndarray, landmarks: np.ndarray, kind: str = "stubble", seed: int = 0) -> np.ndarray:
    """The photo with stubble or a beard (kind) over the upper lip, the chin and the jaw below the mouth."""
    lm = landmarks.astype(np.float32)
    size = float(np.linalg.norm(lm[8] - lm[27]))
    zone = np.zeros(photo.shape[:2], dtype=np.uint8)
    moustache = np.concatenate([lm[31:36], lm[[54, 53, 52, 51, 50, 49, 48]]])
    beard = np.concatenate([lm[[54, 55, 56, 57, 58, 59, 48]], lm[3:14]])
    for polygon in (moustache, beard):
        cv2.fillPoly(zone, [np.round(polygon).astype(np.int32).reshape(-1, 1, 2)], 1)
    lips = np.zeros_like(zone)
    cv2.fillPoly(lips, [np.round(lm[48:60]).astype(np.int32).reshape(-1, 1, 2)], 1)
    zone &= 1 - lips
    rng = np.random.default_rng(seed)
    ys, xs = np.nonzero(zone)
    count = int(len(xs) / max(1.0, (HAIR_SPACING[kind] * size) ** 2))
    dots = np.zeros(photo.shape[:2], dtype=np.float32)
    pick = rng.integers(0, len(xs), size=count) if len(xs) else np.zeros(0, dtype=int)
    radius = max(1, round(0.006 * size))
    for x, y in zip(xs[pick], ys[pick], strict=True):
        cv2.circle(dots, (int(x), int(y)), radius, 1.0, -1)
    soft = cv2.GaussianBlur(zone.astype(np.float32), (0, 0), 0.02 * size)
    darken = np.clip(cv2.GaussianBlur(dots, (0, 0), 0.5), 0, 1) * soft * HAIR_DARK[kind]
    return np.clip(photo.astype(np.float32) * (1.0 - darken[..., None]), 0, 255).astype(np.uint8)


# Transformed variants of a person's photo: the same person as another camera or another moment would
# show them, so the drawn-art measures are judged on more than the shared photos themselves (a change
# tuned to those photos alone would not carry over). mirror: flipped left to right (every asymmetry the
# other way round); small: shrunk to SMALL_SCALE (a softer, smaller face); dim and bright: the exposure
# times DIM_EXPOSURE or BRIGHT_EXPOSURE (linear light), clipped as a camera clips.
VARIANTS = ("mirror", "small", "dim", "bright")
SMALL_SCALE = 0.6
DIM_EXPOSURE = 0.6
BRIGHT_EXPOSURE = 1.4


def _exposed(photo: np.ndarray, factor: float) -> np.ndarray:
    linear = (photo.astype(np.float32) / 255.0) ** 2.2
    return np.clip(255.0 * np.clip(linear * factor, 0.0, 1.0) ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)


def transformed(photo: np.ndarray, kind: str) -> np.ndarray:
    """The photo as VARIANTS' kind shows the same person."""
    if kind == "mirror":
        return np.ascontiguousarray(photo[:, ::-1])
    if kind == "small":
        height, width = photo.shape[:2]
        size = (max(1, round(width * SMALL_SCALE)), max(1, round(height * SMALL_SCALE)))
        return cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    if kind == "dim":
        return _exposed(photo, DIM_EXPOSURE)
    if kind == "bright":
        return _exposed(photo, BRIGHT_EXPOSURE)
    raise ValueError(f"unknown variant {kind!r}; one of {', '.join(VARIANTS)}")
