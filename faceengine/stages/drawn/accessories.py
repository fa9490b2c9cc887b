"""What the person wears on their face, drawn in the drawing's style: glasses as ink frames round the drawn
eyes (`draw_glasses`) and facial hair as a flat tone over the upper lip, the chin and the jaw
(`draw_facial_hair`), the way drawings draw stubble (a cool grey shadow) and beards (a darker shape)."""

from __future__ import annotations

import cv2
import numpy as np

from ...shared import blend, colour
from ...util import disc, fill_polygons
from .eyes import EyeShape
from .palette import Ink, Palette
from .traits import PersonTraits, hair_zones

# A person wears glasses when traits.glasses reaches GLASSES_SURE. Each rim is an ellipse RIM_REACH times
# the drawn eye's half width and height round it, drawn RIM_WEIGHT times the drawing's ink weight; the
# bridge joins the rims at BRIDGE_HEIGHT of the rims' half height above their middles.
GLASSES_SURE = 0.7
RIM_REACH = (1.3, 1.5)
RIM_WEIGHT = 1.0
BRIDGE_HEIGHT = 0.25
SUPERSAMPLE = 4
# Facial hair is drawn from FACIAL_HAIR_SURE up: a flat tone from the skin's shadow tone, greyed and cooled
# towards STUBBLE_LAB (a shadow of a beard), to BEARD_INK of the way to the ink's colour for a full beard,
# as opaque as
# FACIAL_HAIR_ALPHA (from the least to the fullest), soft at its edge over FACIAL_HAIR_SOFT of the face.
FACIAL_HAIR_SURE = 0.4
STUBBLE_LAB = np.array([55.0, -2.0, -6.0], dtype=np.float32)
FACIAL_HAIR_ALPHA = (0.35, 0.7)
BEARD_INK = 0.6
FACIAL_HAIR_SOFT = 0.02


def glasses_layer(shape: tuple[int, int], eyes: list[EyeShape], width: float) -> np.ndarray:
    """The frames' coverage (float32 0..1): a rim round each eye and the bridge between them."""
    scale = SUPERSAMPLE
    big = np.zeros((shape[0] * scale, shape[1] * scale), dtype=np.uint8)
    thickness = max(1, round(RIM_WEIGHT * width * scale))
    inner_ends = []
    for index, eye in enumerate(eyes):
        axes = (RIM_REACH[0] * eye.width / 2, RIM_REACH[1] * eye.height / 2)
        angle = float(np.degrees(np.arctan2(eye.across[1], eye.across[0])))
        centre = tuple(round(float((v + 0.5) * scale - 0.5)) for v in eye.centre)
        cv2.ellipse(
            big, centre, tuple(max(1, round(a * scale)) for a in axes), angle, 0, 360, 255, thickness, cv2.LINE_AA
        )
        # The rim's inner end, a little above its middle (where a bridge meets it).
        side = 1.0 if index == 0 else -1.0
        inner_ends.append(eye.centre + side * axes[0] * eye.across - BRIDGE_HEIGHT * axes[1] * eye.down)
    if len(inner_ends) == 2:
        a, b = (tuple(round(float((v + 0.5) * scale - 0.5)) for v in end) for end in inner_ends)
        cv2.line(big, a, b, 255, thickness, cv2.LINE_AA)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def draw_glasses(image: np.ndarray, eyes: list[EyeShape], traits: PersonTraits, ink: Ink) -> np.ndarray:
    """The image with the person's glasses drawn as ink frames round the drawn eyes (when they wear
    them): over the eyes and the bangs alike, as glasses are worn."""
    if traits.glasses < GLASSES_SURE or len(eyes) != 2:
        return image
    alpha = glasses_layer(image.shape[:2], eyes, ink.width)
    return blend.composite(image, np.broadcast_to(np.asarray(ink.colour, dtype=np.uint8), image.shape), alpha)


def draw_facial_hair(
    image: np.ndarray, landmarks: np.ndarray, traits: PersonTraits, palette: Palette, ink: Ink, region: np.ndarray
) -> np.ndarray:
    """The image with the person's facial hair (landmarks: where their face was drawn) as a flat tone
    inside the drawn face."""
    amounts = (traits.moustache, traits.beard)
    if max(amounts) < FACIAL_HAIR_SURE:
        return image
    size = float(np.linalg.norm(landmarks[8] - landmarks[27]))
    mask = np.zeros(image.shape[:2], dtype=np.float32)
    for zone, amount in zip(hair_zones(landmarks, drawn=True), amounts, strict=True):
        if amount >= FACIAL_HAIR_SURE:
            mask = np.maximum(mask, amount * fill_polygons(image.shape[:2], [zone]).astype(np.float32))
    lips = cv2.dilate(fill_polygons(image.shape[:2], [landmarks[48:60]]), disc(1)).astype(np.float32)
    mask = cv2.GaussianBlur(mask * (1.0 - lips), (0, 0), max(0.7, FACIAL_HAIR_SOFT * size)) * region
    fullness = float(np.clip(max(amounts), 0.0, 1.0))
    stubble = palette.shadow + 0.6 * (STUBBLE_LAB - palette.shadow)
    ink_lab = colour.to_lab(np.asarray(ink.colour, dtype=np.uint8).reshape(1, 1, 3))[0, 0]
    tone = stubble + BEARD_INK * fullness**2 * (ink_lab - stubble)
    paint = colour.from_lab(tone.reshape(1, 1, 3).astype(np.float32)).reshape(3)
    alpha = mask * (FACIAL_HAIR_ALPHA[0] + fullness * (FACIAL_HAIR_ALPHA[1] - FACIAL_HAIR_ALPHA[0]))
    return blend.composite(image, np.broadcast_to(paint, image.shape), alpha)
