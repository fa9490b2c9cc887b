"""The skin-tone measure: how far a swapped face's skin is from the person's own skin.

Per face: the CIELAB colour of the clean skin of the cheeks and nose bridge (the skin model's weights: no
hair, eyes, brows or mouth) of
the source face in the person's photo, moved by the white balance difference between the photo and the
template (gray-world on their near-neutral pixels, `colour.white_balance_cast`), against the clean skin
of the swapped face in the result. ΔE is CIE76 (Euclidean in CIELAB); 8 is the target: a tone a person
would still call their own.
"""

from __future__ import annotations

import numpy as np

from swaps.engine import Face
from swaps.engine.classic import blend, colour, skin
from swaps.engine.util import crop_box, fill_polygons

TARGET = 8.0


def skin_colour(image: np.ndarray, landmarks: np.ndarray, *, template: bool) -> np.ndarray:
    """The weighted mean CIELAB colour of a face's clean skin on the cheeks and the nose bridge (where a
    swap paints fully: its feathered edge mixes the two faces)."""
    size = blend.face_size(landmarks)
    x1, y1, x2, y2 = crop_box(landmarks, size, image.shape, margin=0.35)
    crop = np.ascontiguousarray(image[y1:y2, x1:x2, :3])
    points = landmarks - np.array([x1, y1], dtype=np.float32)
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
    gain, shift = colour.tone_shift(photo, template)
    own[0] *= gain
    own[1:] += shift
    swapped = skin_colour(result, target.landmarks, template=True)
    return {"delta_e": float(np.linalg.norm(swapped - own)), "lightness": float(swapped[0] - own[0])}
