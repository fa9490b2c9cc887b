"""The skin-tone measure: how far a swapped face's skin is from the person's own skin.

Per face: the CIELAB colour of the clean skin of the cheeks and nose bridge (the skin model's weights: no
hair, eyes, brows or mouth) of
the source face in the person's photo, moved by the white balance difference between the photo and the
template (`colour.tone_shift`: brightness around each face and gray-world colour cast), against the clean skin
of the swapped face in the result. ΔE is CIE76 (Euclidean in CIELAB); 8 is the target: a tone a person
would still call their own.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceengine import Face
from faceengine.classic import pipeline
from faceengine.shared import blend, colour, skin
from faceengine.util import crop_box, disc, fill_polygons

TARGET = 8.0


def _face_crop(shape: tuple[int, ...], landmarks: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray, float]:
    """The crop around a face a swap works on (pipeline.CROP_MARGIN), the landmarks in it and the face's
    size."""
    size = blend.face_size(landmarks)
    x1, y1, x2, y2 = crop_box(landmarks, size, shape, margin=pipeline.CROP_MARGIN)
    return (slice(y1, y2), slice(x1, x2)), landmarks - np.array([x1, y1], dtype=np.float32), size


def skin_colour(image: np.ndarray, landmarks: np.ndarray, *, template: bool) -> np.ndarray:
    """The weighted mean CIELAB colour of a face's clean skin on the cheeks and the nose bridge (where a
    swap paints fully: its feathered edge mixes the two faces)."""
    box, points, size = _face_crop(image.shape, landmarks)
    crop = np.ascontiguousarray(image[box][..., :3])
    skin_map = skin.skin_map(crop, points, blend.face_outline(points), size, template=template)
    core = fill_polygons(crop.shape[:2], skin.core_polygons(points))
    weights = skin_map.weights * (skin_map.weights > 0.5) * core
    return colour.weighted_mean(colour.to_lab(crop), weights)


def tone_difference(
    result: np.ndarray, target: Face, photo: np.ndarray, source: Face, template: np.ndarray
) -> dict[str, float]:
    """ΔE between the swapped face's skin and the person's own (white-balanced to the template), and its
    lightness part (negative: the result is darker)."""
    own = skin_colour(photo, source.landmarks, template=False)
    gain, shift = colour.tone_shift(photo, template, boxes=(source.box, target.box))
    own[0] *= gain
    own[1:] += shift
    swapped = skin_colour(result, target.landmarks, template=True)
    return {"delta_e": float(np.linalg.norm(swapped - own)), "lightness": float(swapped[0] - own[0])}


# The forehead step's bands, as fractions of the face's size: inside the face's outline, past the mask's
# soft edge (which lies within its first blend.FEATHER_FRACTION), and just outside the outline, where the
# template's skin is untouched.
STEP_INSIDE = (0.08, 0.18)
STEP_OUTSIDE = 0.06


def forehead_step(result: np.ndarray, template: np.ndarray, target: Face) -> float | None:
    """How much lighter (+) or darker (-) the swapped forehead and temples are than the template's skin
    just above the swap, beyond the step the template itself has there (CIELAB lightness, on the
    template's uncovered skin above the eyes, brows left out): a band of different brightness at the
    hairline shows as a large value. None when the template shows too little skin there (hair over it)."""
    box, points, size = _face_crop(template.shape, target.landmarks)
    before = np.ascontiguousarray(template[box][..., :3])
    after = np.ascontiguousarray(result[box][..., :3])
    outline = blend.face_outline(points)
    inside = blend.fill(before.shape[:2], [outline]).astype(np.uint8)
    depth_in = cv2.distanceTransform(inside, cv2.DIST_L2, 3) / size
    depth_out = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 3) / size
    eyes = points[36:48].mean(axis=0)
    up = points[17:27].mean(axis=0) - points[8]
    up /= max(float(np.linalg.norm(up)), 1e-6)
    ys, xs = np.mgrid[0 : inside.shape[0], 0 : inside.shape[1]].astype(np.float32)
    above = (xs - eyes[0]) * up[0] + (ys - eyes[1]) * up[1] > 0.15 * size
    skin_map = skin.skin_map(before, points, outline, size, template=True)
    brows = cv2.dilate(fill_polygons(inside.shape, skin.brow_polygons(points)), disc(max(1, round(0.03 * size))))
    clean = above & (skin_map.probability > 0.5) & (skin_map.covered == 0) & (brows == 0)
    band_in = clean & (depth_in >= STEP_INSIDE[0]) & (depth_in <= STEP_INSIDE[1])
    band_out = clean & (inside == 0) & (depth_out <= STEP_OUTSIDE)
    if band_in.sum() < 16 or band_out.sum() < 16:
        return None
    light_before, light_after = colour.to_lab(before)[..., 0], colour.to_lab(after)[..., 0]
    step_before = light_before[band_in].mean() - light_before[band_out].mean()
    step_after = light_after[band_in].mean() - light_after[band_out].mean()
    return float(step_after - step_before)


# The forehead's bands (forehead_bands): from a little below the brows' top to this far above it, in
# strips this deep (fractions of the face's size).
BANDS_REACH = (-0.05, 0.2)
BANDS_STRIP = 0.02


def forehead_bands(result: np.ndarray, template: np.ndarray, target: Face) -> tuple[float, float] | None:
    """The darkest and the palest strip across the swapped forehead: the mean lightness change (result
    minus template, CIELAB L) in thin strips parallel to the brows, from their top up into the forehead,
    on the template's uncovered skin (its brows left out). A line of the person's hair at the swap's top
    edge shows as a dark strip, a strip of different skin under it as a pale one; a swap that follows the
    template's light has both near 0 (and a person of another tone moves them together). None when the
    template shows too little skin there."""
    box, points, size = _face_crop(template.shape, target.landmarks)
    before = np.ascontiguousarray(template[box][..., :3])
    after = np.ascontiguousarray(result[box][..., :3])
    outline = blend.face_outline(points)
    inside = fill_polygons(before.shape[:2], [outline])
    brows = cv2.dilate(fill_polygons(before.shape[:2], skin.brow_polygons(points)), disc(max(1, round(0.03 * size))))
    skin_map = skin.skin_map(before, points, outline, size, template=True)
    clean = (inside > 0) & (skin_map.probability > 0.5) & (skin_map.covered == 0) & (brows == 0)
    up = points[17:27].mean(axis=0) - points[8]
    up /= max(float(np.linalg.norm(up)), 1e-6)
    ys, xs = np.mgrid[0 : inside.shape[0], 0 : inside.shape[1]].astype(np.float32)
    height = (xs - points[8][0]) * up[0] + (ys - points[8][1]) * up[1]
    height -= max(float((points[i] - points[8]) @ up) for i in range(17, 27))
    change = colour.to_lab(after)[..., 0] - colour.to_lab(before)[..., 0]
    strips = []
    for low in np.arange(BANDS_REACH[0], BANDS_REACH[1], BANDS_STRIP) * size:
        strip = clean & (height >= low) & (height < low + BANDS_STRIP * size)
        if strip.sum() >= 8:
            strips.append(float(change[strip].mean()))
    return (min(strips), max(strips)) if len(strips) >= 3 else None
