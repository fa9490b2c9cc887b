"""Finishing a swapped face: as sharp, as grainy and as soft as the picture around it.

A person's photo is rarely as sharp as the template: a small face enlarged onto a large one comes out
soft, a sharp phone photo pasted into a soft film still looks cut out. Whatever the backend, the painted
face's detail (the variance of its lightness's Laplacian, what an eye reads as sharpness and grain) is
brought to the template face's: a face that is too sharp is blurred just enough; one that is too soft is
sharpened a little (an unsharp mask, capped so no halo shows) and given grain like the picture's (noise
in lightness, of the strength the template's detail asks for, a little softened as a camera's is). Only what the
backend painted changes: the painted part is found as where the picture changed, feathered.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..faces import Face
from ..util import crop_box, disc, shrink

# The crop worked on: the face grown by this fraction of its size.
CROP_MARGIN = 0.3
# A pixel counts as painted when its colour moved this much (RGB levels, after a light blur).
CHANGED_LEVEL = 3.0
# The painted mask is found on a copy where the face is this many pixels across.
MASK_FACE_PX = 128
# A face with more detail than this many times the template's is blurred down to it, one with less than
# SOFTER times is sharpened and grained up to it; in between it is left alone. Not all the way to the
# template's: every blur of a sharp photo costs some of the person's likeness (make bench, identity:
# blurring to 1.0 cost 0.015 of mean distance, to 1.25 about 0.005), and grain is noise.
SHARPER = 1.25
SOFTER = 0.8
# A too-sharp face is blurred by the sigma (pixels, found by bisection) that brings its detail to the
# template's, at most this much.
MAX_BLUR = 3.0
# The unsharp mask on a too-soft face: sigma (pixels) and the largest amount (no halos beyond it).
SHARPEN_SIGMA = 1.0
SHARPEN_MAX = 0.8
# Grain: the largest noise strength (RGB levels).
GRAIN_MAX = 7.0
# The grain's own softness (sigma, pixels): a camera's noise is not pixel-sharp after demosaicing.
GRAIN_SOFTNESS = 0.5


def detail(image: np.ndarray, where: np.ndarray) -> float:
    """The variance of the CIELAB lightness's Laplacian over where (float32 RGB image, 0-255; OpenCV's
    8-bit Lab, whose lightness is L * 255 / 100: the same ratios, several times faster than float Lab)."""
    lightness = cv2.cvtColor(np.clip(image + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB)[..., 0]
    # (Straight from the bytes: the same whole numbers as from a float32 copy.)
    laplacian = cv2.Laplacian(lightness, cv2.CV_32F, ksize=3)
    values = laplacian[where]
    return float(values.var()) if values.size else 0.0


def painted_mask(before: np.ndarray, after: np.ndarray, size: float) -> np.ndarray:
    """Where the swap painted (float32 0..1, feathered), from the difference of the two pictures; worked
    out on a copy scaled so the face is about MASK_FACE_PX across (the mask is smooth; at full size its
    blurs and closings were half of this stage's time) and scaled back."""
    height, width = before.shape[:2]
    factor = min(1.0, MASK_FACE_PX / max(size, 1.0))
    if factor < 1.0:
        before, after, size = shrink(before, factor), shrink(after, factor), size * factor
    difference = np.abs(cv2.GaussianBlur(after, (0, 0), 1.0) - cv2.GaussianBlur(before, (0, 0), 1.0)).max(axis=2)
    changed = (difference > CHANGED_LEVEL).astype(np.uint8)
    radius = max(1, round(0.03 * size))
    changed = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, disc(radius))
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, disc(max(1, radius // 2)))
    # Feathered inwards only: nothing outside what changed is touched.
    inside = cv2.distanceTransform(changed, cv2.DIST_L2, 3)
    mask = np.clip(inside / max(1.0, 2.0 * radius), 0.0, 1.0).astype(np.float32)
    if factor < 1.0:
        mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    return mask


def finish_face(canvas: np.ndarray, template: np.ndarray, target: Face) -> None:
    """Bring the swapped face's sharpness and grain to the template face's, in place."""
    points = target.landmarks if target.landmarks is not None else target.box.reshape(2, 2)
    size = max(target.width, target.height, 1.0)
    x1, y1, x2, y2 = crop_box(points, size, canvas.shape, margin=CROP_MARGIN)
    before = template[y1:y2, x1:x2].astype(np.float32)
    after = canvas[y1:y2, x1:x2].astype(np.float32)
    mask = painted_mask(before, after, size)
    where = mask > 0.99
    if where.sum() < 64:
        return
    # Only the painted part's box is worked on (every blur and measure below runs on it).
    ys, xs = np.nonzero(mask > 0)
    box = slice(max(0, ys.min() - 4), ys.max() + 5), slice(max(0, xs.min() - 4), xs.max() + 5)
    y1, x1 = y1 + box[0].start, x1 + box[1].start
    before, after, mask, where = before[box], after[box], mask[box], where[box]
    goal = detail(before, where)
    now = detail(after, where)
    if goal <= 0 or now <= 0:
        return
    finished = after
    if now > goal * SHARPER:
        finished = _soften(after, where, goal * SHARPER, mask)
    elif now < goal * SOFTER:
        finished = _sharpen_and_grain(after, where, goal * SOFTER, now, seed=int(x1 * 7919 + y1))
    if finished is after:
        return
    out = after + (finished - after) * mask[..., None]
    canvas[y1 : y1 + out.shape[0], x1 : x1 + out.shape[1]] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _soften(image: np.ndarray, where: np.ndarray, goal: float, painted: np.ndarray) -> np.ndarray:
    """The blur that brings the detail to goal (bisection on its sigma, up to MAX_BLUR). Only lightness is
    blurred, each channel scaled with it: blurring the colours too spread the lips' red and the brows'
    brown over the cheeks next to them, a tone the person does not have. The blur takes in only what was
    painted (painted: the feathered mask, as weights): the template's dark hair or backdrop beside the
    face must not be smeared into its edge (a dark crescent at a small face's temple)."""
    level = np.maximum(image.mean(axis=2), 1.0)
    weight = np.maximum(painted, 1e-3).astype(np.float32)

    def blurred_by(sigma: float) -> np.ndarray:
        spread = cv2.GaussianBlur(level * weight, (0, 0), sigma) / cv2.GaussianBlur(weight, (0, 0), sigma)
        return image * (spread / level)[..., None]

    low, high = 0.0, MAX_BLUR
    best = blurred_by(high)
    if detail(best, where) >= goal:
        return best
    for _ in range(5):
        sigma = (low + high) / 2
        blurred = blurred_by(sigma)
        if detail(blurred, where) > goal:
            low = sigma
        else:
            high, best = sigma, blurred
    return best


def _sharpen_and_grain(image: np.ndarray, where: np.ndarray, goal: float, now: float, *, seed: int) -> np.ndarray:
    """Sharpened (up to SHARPEN_MAX) towards goal, then the rest of the way with grain."""
    # (The detail the sharpening adds, worked out once for every amount tried.)
    edges = image - cv2.GaussianBlur(image, (0, 0), SHARPEN_SIGMA)
    best = image
    for amount in np.linspace(0.2, SHARPEN_MAX, 4):
        sharpened = image + float(amount) * edges
        best = sharpened
        if detail(sharpened, where) >= goal:
            return sharpened
    missing = goal - detail(best, where)
    if missing <= 0:
        return best
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    noise = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), GRAIN_SOFTNESS)
    noise /= max(float(noise.std()), 1e-6)
    # Grain in lightness only, each channel in proportion to its own level: a grey face stays grey, a sepia
    # one sepia, and no colour speckle changes a person's skin tone.
    level = np.maximum(best.mean(axis=2, keepdims=True), 8.0)
    grain = noise[..., None] * best / level
    # Noise adds its own detail to the face's (independent): the strength follows from one unit's worth.
    gain = detail(best + grain, where) - detail(best, where)
    if gain <= 0:
        return best
    strength = min(GRAIN_MAX, float(np.sqrt(missing / gain)))
    return best + strength * grain
