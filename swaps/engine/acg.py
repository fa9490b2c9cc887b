"""Drawn art (ACG templates): a photographed face put onto a face that only has a box and 5 points.

dlib finds no anime faces and drawn faces have no 68 landmarks, so an admin marks a box and the five
key points. The source face is moved by a similarity transform fitted on the five points, recoloured
to the drawn skin tone (sampled on the cheeks), optionally stylised (edge-preserving smoothing and
flattened shading, so the photo's skin texture does not stand out against flat colour), and pasted
through an elliptical feathered mask inside the marked box.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import align, blend, colour
from .swap import crop_box, timed
from .types import Face

# The ellipse fills this fraction of the marked box (drawn faces' boxes include hair and chin).
ELLIPSE_FRACTION = (0.42, 0.45)
# The ellipse's centre: this fraction of the way from the eyes' midpoint to the mouth's midpoint.
ELLIPSE_CENTRE = 0.45
# How much of the photo's own shading survives the stylisation (drawn skin is nearly flat).
STYLISED_CONTRAST = 0.6
ACG_COLOUR_DETAIL = 0.5


def cheek_points(kps: np.ndarray) -> np.ndarray:
    """Two points on the cheeks, halfway between each eye and the mouth corner below it."""
    return np.array([(kps[0] + kps[3]) / 2, (kps[1] + kps[4]) / 2], dtype=np.float32)


def skin_tone(lab: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The median LAB colour of small discs on both cheeks."""
    radius = max(2.0, 0.18 * float(np.linalg.norm(kps[1] - kps[0])))
    mask = np.zeros(lab.shape[:2], dtype=np.uint8)
    for x, y in cheek_points(kps):
        cv2.circle(mask, (round(float(x)), round(float(y))), round(radius), 1, -1)
    pixels = lab[mask > 0]
    if len(pixels) == 0:
        return np.median(lab.reshape(-1, 3), axis=0)
    return np.median(pixels, axis=0)


def ellipse_mask(shape: tuple[int, int], box: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """A filled ellipse (float32 0/1) inside the box, centred between the eyes and the mouth."""
    eyes, mouth = kps[:2].mean(axis=0), kps[3:].mean(axis=0)
    centre = eyes + ELLIPSE_CENTRE * (mouth - eyes)
    axes = (ELLIPSE_FRACTION[0] * (box[2] - box[0]), ELLIPSE_FRACTION[1] * (box[3] - box[1]))
    dx, dy = kps[1] - kps[0]
    angle = float(np.degrees(np.arctan2(dy, dx)))
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.ellipse(
        mask,
        (round(float(centre[0])), round(float(centre[1]))),
        (max(1, round(float(axes[0]))), max(1, round(float(axes[1])))),
        angle,
        0,
        360,
        1,
        -1,
    )
    return mask.astype(np.float32)


def stylise(image: np.ndarray, mask: np.ndarray, eye_distance: float) -> np.ndarray:
    """Flatten a photographed face towards drawn art: smooth skin, keep edges, soften the shading."""
    smooth = cv2.edgePreservingFilter(
        image, flags=cv2.RECURS_FILTER, sigma_s=max(5.0, 0.3 * eye_distance), sigma_r=0.25
    )
    lab = colour.to_lab(smooth)
    weight = mask.astype(np.float32)
    mean_l = float((lab[..., 0] * weight).sum() / max(weight.sum(), 1.0))
    lab[..., 0] = mean_l + STYLISED_CONTRAST * (lab[..., 0] - mean_l)
    return colour.from_lab(lab)


def swap_face_acg(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    stylised: bool = True,
    timings: dict[str, float] | None = None,
) -> None:
    """Paste the source face over a drawn target face (box and 5 key points), in place."""
    size = max(target.width, target.height)
    corners = np.array([target.box[:2], target.box[2:]], dtype=np.float32)
    x1, y1, x2, y2 = crop_box(np.concatenate([corners, target.kps]), size, canvas.shape, margin=0.1)
    offset = np.array([x1, y1], dtype=np.float32)
    crop = canvas[y1:y2, x1:x2]
    shape = crop.shape[:2]
    kps = target.kps - offset
    box = target.box - np.concatenate([offset, offset])
    with timed(timings, "warp"):
        matrix = align.similarity_transform(source.kps, kps)
        moved = align.warp_into(photo, matrix, (shape[1], shape[0]))
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    with timed(timings, "blend"):
        mask = ellipse_mask(shape, box, kps)
        # Nothing outside the marked box changes, the feathered edge included.
        inner = np.zeros(shape, dtype=np.float32)
        bx1, by1, bx2, by2 = np.round(box).astype(int)
        inner[max(0, by1) : by2, max(0, bx1) : bx2] = 1.0
        mask *= inner
        if source.landmarks is not None:
            # Never beyond the person's own face (no hair or background from the photo).
            moved_lm = align.transform_points(matrix, source.landmarks)
            mask *= blend.fill(shape, [cv2.convexHull(blend.face_outline(moved_lm, forehead=0.25))])
    with timed(timings, "colour"):
        moved_kps = align.transform_points(matrix, source.kps)
        if stylised:
            moved = stylise(moved, mask, eye_distance)
        src_lab, tgt_lab = colour.to_lab(moved), colour.to_lab(crop)
        src_tone, tgt_tone = skin_tone(src_lab, moved_kps), skin_tone(tgt_lab, kps)
        # Lightness by ratio (keeps the face's own light and dark parts), colour by shifting the skin.
        src_lab[..., 0] = np.clip(src_lab[..., 0] * (tgt_tone[0] / max(float(src_tone[0]), 1.0)), 0, 100)
        # Halving the colour detail keeps the whites of eyes and teeth from turning blue when the
        # drawn skin is paler than the person's.
        src_lab[..., 1:] = tgt_tone[1:] + ACG_COLOUR_DETAIL * (src_lab[..., 1:] - src_tone[1:])
        moved = colour.from_lab(src_lab)
    with timed(timings, "blend"):
        feather = max(1.0, 0.06 * size)
        radius = max(1, round(feather))
        mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)))
        mask = np.clip(cv2.GaussianBlur(mask, (0, 0), feather / 2), 0.0, 1.0) * inner
        canvas[y1:y2, x1:x2] = blend.composite(crop, moved, mask)
