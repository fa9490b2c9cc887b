"""Small helpers every part of the engine uses: timing stages, crops, scaled copies, masks."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import cv2
import numpy as np

Timings = dict[str, float]


@contextmanager
def timed(timings: Timings | None, stage: str) -> Iterator[None]:
    """Add the time spent in the block to timings[stage] (when timings is given)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def crop_box(points: np.ndarray, size: float, shape: tuple[int, ...], *, margin: float) -> tuple[int, int, int, int]:
    """An integer box around points grown by margin * size, clipped to the image."""
    grow = margin * size
    x1, y1 = np.floor(points.min(axis=0) - grow).astype(int)
    x2, y2 = np.ceil(points.max(axis=0) + grow).astype(int)
    height, width = shape[:2]
    return max(0, x1), max(0, y1), min(width, x2), min(height, y2)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """How much two [x1, y1, x2, y2] boxes overlap: intersection over union (0 when apart)."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def shrunk_size(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """(width, height) of an image of this shape scaled by factor; at least 1x1."""
    return max(1, round(shape[1] * factor)), max(1, round(shape[0] * factor))


def area_shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """An image made factor (a whole number) times smaller by averaging factor x factor blocks, the last
    rows and columns that make no whole block left out (OpenCV's fast path for a whole factor)."""
    if factor == 1:
        return image
    height, width = image.shape[0] // factor, image.shape[1] // factor
    block = image[: max(1, height) * factor, : max(1, width) * factor]
    return cv2.resize(block, (max(1, width), max(1, height)), interpolation=cv2.INTER_AREA)


def shrink(image: np.ndarray, factor: float) -> np.ndarray:
    """An image (or a float plane) scaled down by factor (< 1), averaging pixels; at least 1x1."""
    return cv2.resize(image, shrunk_size(image.shape, factor), interpolation=cv2.INTER_AREA)


def disc(radius: int) -> np.ndarray:
    """A filled circle of this radius as a morphology kernel."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """mask (a plane of values >= 0, such as a 0/1 mask) dilated by a disc of this radius: the same as
    cv2.dilate(mask, disc(radius)), worked out only on the box around what is set grown by the radius
    (a face's features are a small part of the crop: the full-crop dilation was most of its cost)."""
    x, y, w, h = cv2.boundingRect((mask > 0).view(np.uint8))
    if w == 0 or h == 0:
        return np.zeros_like(mask)
    height, width = mask.shape[:2]
    x1, y1 = max(0, x - radius), max(0, y - radius)
    x2, y2 = min(width, x + w + radius), min(height, y + h + radius)
    result = np.zeros_like(mask)
    result[y1:y2, x1:x2] = cv2.dilate(mask[y1:y2, x1:x2], disc(radius))
    return result


def blur_near(mask: np.ndarray, sigma: float) -> np.ndarray:
    """A float32 plane that is 0 outside a small area (a mouth's mask) blurred by a Gaussian of this sigma:
    the same as cv2.GaussianBlur(mask, (0, 0), sigma), worked out only on the box around what is set grown
    by the Gaussian's reach (what lies further is blurred zeros)."""
    x, y, w, h = cv2.boundingRect((mask != 0).view(np.uint8))
    if w == 0 or h == 0:
        return np.zeros_like(mask)
    # OpenCV's kernel for float planes reaches 4 sigma; one more pixel so the box's own border reflects zeros.
    reach = int(np.ceil(4 * sigma)) + 2
    height, width = mask.shape[:2]
    x1, y1 = max(0, x - reach), max(0, y - reach)
    x2, y2 = min(width, x + w + reach), min(height, y + h + reach)
    result = np.zeros_like(mask)
    result[y1:y2, x1:x2] = cv2.GaussianBlur(mask[y1:y2, x1:x2], (0, 0), sigma)
    return result


def fill_polygons(shape: tuple[int, int], polygons: Sequence[np.ndarray]) -> np.ndarray:
    """A uint8 0/1 mask of the filled polygons (float points are rounded to the nearest pixel)."""
    mask = np.zeros(shape, dtype=np.uint8)
    for poly in polygons:
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32).reshape(-1, 1, 2)], 1)
    return mask
