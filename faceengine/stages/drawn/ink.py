"""Ink lines: the photo's brows, nose and mouth drawn over the swapped face as lines of the drawing's
colour and weight (`ink_layer`, `ink_lines`). The jaw is not drawn: the drawing's own outline takes the
person's jaw (reshape.py), and a second jaw line inside it reads as a double chin, or, on a drawn face in
three-quarter view, as a stroke across the cheek."""

from __future__ import annotations

import cv2
import numpy as np

from ...shared import blend

# The ink lines (dlib's 68-point indices) and their weight relative to the drawing's outline: brows, nose
# and mouth are fine lines (the eyes are drawn whole, see anime_eyes).
INK_LINES = (
    ([17, 18, 19, 20, 21], 0.9),
    ([22, 23, 24, 25, 26], 0.9),
    ([32, 33, 34], 0.8),
    ([48, 60, 61, 62, 63, 64, 54], 1.0),
)
# Lines are drawn this many times larger and scaled down, for sub-pixel weights and smooth edges.
INK_SUPERSAMPLE = 4


def ink_layer(
    shape: tuple[int, int],
    landmarks: np.ndarray,
    width: float,
    region: np.ndarray | None = None,
    lines: tuple = INK_LINES,
) -> np.ndarray:
    """The ink lines' coverage (float 0..1): brows, the base of the nose and the line between the lips,
    `width` pixels wide (times each line's weight), inside region when given."""
    scale = INK_SUPERSAMPLE
    height, width_px = shape
    points = (landmarks.astype(np.float64) + 0.5) * scale - 0.5

    def draw(lines: list[tuple[list[int], float]]) -> np.ndarray:
        big = np.zeros((height * scale, width_px * scale), dtype=np.uint8)
        for indices, weight in lines:
            polyline = np.round(points[indices]).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(big, [polyline], False, 255, max(1, round(width * weight * scale)), cv2.LINE_AA)
        return cv2.resize(big, (width_px, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0

    features = draw(list(lines))
    return features if region is None else features * region


def ink_lines(
    image: np.ndarray,
    landmarks: np.ndarray,
    colour_rgb: np.ndarray,
    width: float,
    region: np.ndarray | None = None,
    lines: tuple = INK_LINES,
) -> None:
    """The face's features drawn over image as ink lines of the drawing (see ink_layer), in place."""
    alpha = ink_layer(image.shape[:2], landmarks, width, region, lines)
    ink = np.empty_like(image)
    ink[...] = np.asarray(colour_rgb, dtype=np.uint8)
    image[...] = blend.composite(image, ink, alpha)
