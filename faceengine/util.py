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


def shrunk_size(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """(width, height) of an image of this shape scaled by factor; at least 1x1."""
    return max(1, round(shape[1] * factor)), max(1, round(shape[0] * factor))


def shrink(image: np.ndarray, factor: float) -> np.ndarray:
    """An image (or a float plane) scaled down by factor (< 1), averaging pixels; at least 1x1."""
    return cv2.resize(image, shrunk_size(image.shape, factor), interpolation=cv2.INTER_AREA)


def disc(radius: int) -> np.ndarray:
    """A filled circle of this radius as a morphology kernel."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def fill_polygons(shape: tuple[int, int], polygons: Sequence[np.ndarray]) -> np.ndarray:
    """A uint8 0/1 mask of the filled polygons (float points are rounded to the nearest pixel)."""
    mask = np.zeros(shape, dtype=np.uint8)
    for poly in polygons:
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32).reshape(-1, 1, 2)], 1)
    return mask
