"""Colour: make the moved source face take on the template's light and colour character.

The "ratio of blurred images" correction of the align method, with two changes that fix its visible
faults: the blurs are normalised convolutions over the face's skin region only (hair or background
entering the blur made the orange/brown streaks at the brows and the pale band at the mouth corners),
and it works in CIELAB: lightness by the ratio of local means (the template's shading), colour by the
template's local mean plus the source's own colour detail scaled down to the template's colourfulness,
so a grayscale or sepia template gives a grayscale or sepia face and a warm-lit scene a warm face.
"""

from __future__ import annotations

import cv2
import numpy as np

# The blur is this fraction of the distance between the eyes: large enough that the template's own
# eyes and brows do not print through, small enough to follow its light across the face.
BLUR_FRACTION = 0.3
# The template's colour detail relative to the source's decides how much of the source's own colour
# (red lips, flushed cheeks) survives; never more than the source had.
MAX_CHROMA_GAIN = 1.0


def masked_blur(image: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of `image` using only the pixels where `mask` is set (normalised convolution).

    A wide blur is smooth, so it is computed on a copy shrunk until the blur is about 3 px wide and
    enlarged again: the same result for a fraction of the time.
    """
    height, width = mask.shape
    factor = max(1.0, sigma / 3.0)
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    weighted = image * (mask[..., None] if image.ndim == 3 else mask)
    if factor > 1.0:
        weighted = cv2.resize(weighted, small, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, small, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(weighted, (0, 0), sigma / factor)
    weights = cv2.GaussianBlur(mask, (0, 0), sigma / factor)
    blurred = blurred / np.maximum(weights, 1e-4)[..., None] if image.ndim == 3 else blurred / np.maximum(weights, 1e-4)
    if factor > 1.0:
        blurred = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    return blurred


def to_lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def from_lab(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def match_colour(
    source: np.ndarray, target: np.ndarray, source_mask: np.ndarray, target_mask: np.ndarray, *, eye_distance: float
) -> np.ndarray:
    """The source (already moved onto the target) recoloured to the target's light and colour.

    source/target: RGB uint8 of the same size; the masks (float32 0..1) mark each one's skin.
    """
    sigma = max(2.0, BLUR_FRACTION * eye_distance)
    src_lab, tgt_lab = to_lab(source), to_lab(target)
    src_mean = masked_blur(src_lab, source_mask, sigma)
    tgt_mean = masked_blur(tgt_lab, target_mask, sigma)
    out = np.empty_like(src_lab)
    # Lightness: the source's detail times the template's local light.
    ratio = np.clip(tgt_mean[..., 0] / np.maximum(src_mean[..., 0], 1.0), 0.25, 4.0)
    out[..., 0] = np.clip(src_lab[..., 0] * ratio, 0, 100)
    # Colour: the template's local colour plus the source's colour detail re-expressed in the template's
    # colour character (see chroma_detail).
    both = (source_mask > 0.5) & (target_mask > 0.5)
    if both.sum() < 16:
        both = np.ones(source_mask.shape, dtype=bool)
    out_l_detail = out[..., 0] - tgt_mean[..., 0]
    out[..., 1:] = tgt_mean[..., 1:] + chroma_detail(src_lab - src_mean, tgt_lab - tgt_mean, out_l_detail, both)
    return from_lab(out)


def chroma_detail(src_detail: np.ndarray, tgt_detail: np.ndarray, out_l_detail: np.ndarray, where: np.ndarray):
    """The colour detail (a, b) of the result: the source's, in the template's colour character.

    In each image the colour detail is split into the part that follows lightness (in a sepia or a
    warm-lit picture, lighter means more orange) and the rest. The result takes the template's link to
    lightness, applied to its own lightness, plus the source's remaining colour detail mapped onto the
    template's spread of colours (a linear map between their 2x2 covariances, never amplifying). A
    grayscale template has neither, so the face comes out grayscale; a sepia one only the first, so
    the face stays sepia.
    """
    src_l, src_ab = src_detail[..., 0][where].astype(np.float64), src_detail[..., 1:][where].astype(np.float64)
    tgt_l, tgt_ab = tgt_detail[..., 0][where].astype(np.float64), tgt_detail[..., 1:][where].astype(np.float64)
    src_slope = (src_l @ src_ab) / max(float(src_l @ src_l), 1e-6)
    tgt_slope = (tgt_l @ tgt_ab) / max(float(tgt_l @ tgt_l), 1e-6)
    src_rest = src_ab - src_l[:, None] * src_slope
    tgt_rest = tgt_ab - tgt_l[:, None] * tgt_slope
    m = _covariance_map(src_rest.T @ src_rest / len(src_rest), tgt_rest.T @ tgt_rest / len(tgt_rest))
    # Per channel rather than a batched matrix product: several times faster on an image.
    rest_a = src_detail[..., 1] - float(src_slope[0]) * src_detail[..., 0]
    rest_b = src_detail[..., 2] - float(src_slope[1]) * src_detail[..., 0]
    out = np.empty((*src_detail.shape[:2], 2), dtype=np.float32)
    out[..., 0] = float(tgt_slope[0]) * out_l_detail + float(m[0, 0]) * rest_a + float(m[0, 1]) * rest_b
    out[..., 1] = float(tgt_slope[1]) * out_l_detail + float(m[1, 0]) * rest_a + float(m[1, 1]) * rest_b
    return out


def _covariance_map(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The linear map taking a spread with covariance `source` to one with covariance `target`,
    its gains capped at MAX_CHROMA_GAIN (T = target^1/2 source^-1/2)."""
    eps = 1e-3

    def power(matrix: np.ndarray, exponent: float) -> np.ndarray:
        values, vectors = np.linalg.eigh(matrix + eps * np.eye(2))
        return vectors @ np.diag(np.maximum(values, eps) ** exponent) @ vectors.T

    mapping = power(target, 0.5) @ power(source, -0.5)
    u, s, vt = np.linalg.svd(mapping)
    return u @ np.diag(np.minimum(s, MAX_CHROMA_GAIN)) @ vt
