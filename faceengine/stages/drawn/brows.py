"""The brows: whether the drawing's own brows show (then the person's are not drawn), the person's brows
raised clear of the drawn eyes, and drawn as the person's (`brow_layer`): their landmarks' curve, their
measured thickness, thickest at the inner end and tapering to the tail, as dark as theirs against the
skin."""

from __future__ import annotations

import cv2
import numpy as np

from ...landmarks import LEFT_BROW, RIGHT_BROW
from ...shared import colour
from ...util import disc
from . import palette as _palette
from .eyes import EyeShape
from .palette import Ink, Palette

# The brows are raised, when the enlarged eye reaches them, to BROW_CLEARANCE eye distances above its top.
BROW_CLEARANCE = 0.1
# The drawing's brow is taken to show above an eye when dark line pixels lie along the drawn face's edge
# (within BROW_EDGE eye distances outside it), BROW_BAND eye distances above the eye's point, across at
# least BROW_SPAN of the eye's width; the photo's brow is then not drawn.
BROW_EDGE = 0.06
BROW_BAND = (0.15, 0.7)
BROW_SPAN = 0.5


def drawn_brows(
    lab: np.ndarray, region: np.ndarray, kps: np.ndarray, shapes: list[EyeShape], palette: Palette, ink: Ink
) -> list[bool]:
    """Whether the drawing's brow above each eye (image-left first) shows just outside the drawn face: dark
    line pixels (as dark as the ink, INK_DARK) along the face's edge (within BROW_EDGE eye distances of it)
    between BROW_BAND eye distances above the eye's point, over at least BROW_SPAN of the eye's width. The
    photo's brow there would double it."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    line = colour.to_lab(np.asarray(ink.colour, dtype=np.uint8).reshape(1, 1, 3))[0, 0, 0]
    dark = lab[..., 0] < line + _palette.INK_DARK * (palette.base[0] - line)
    edge = (cv2.dilate(region, disc(max(1, round(BROW_EDGE * eye_distance)))) > 0) & (region == 0)
    ys, xs = np.nonzero(dark & edge)
    kept = []
    for eye, shape in enumerate(shapes):
        u = (xs - kps[eye][0]) * shape.across[0] + (ys - kps[eye][1]) * shape.across[1]
        v = (xs - kps[eye][0]) * shape.down[0] + (ys - kps[eye][1]) * shape.down[1]
        above = (
            (np.abs(u) <= shape.width / 2) & (v >= -BROW_BAND[1] * eye_distance) & (v <= -BROW_BAND[0] * eye_distance)
        )
        columns = np.unique(np.floor(u[above]).astype(int))
        kept.append(len(columns) >= BROW_SPAN * shape.width)
    return kept


def raise_brows(landmarks: np.ndarray, shapes: list[EyeShape], eye_distance: float) -> np.ndarray:
    """The landmarks with each brow raised, when its enlarged eye reaches it, to BROW_CLEARANCE eye
    distances above the eye's top."""
    out = landmarks.astype(np.float32).copy()
    for brow, shape in zip((RIGHT_BROW, LEFT_BROW), shapes, strict=True):
        top = float(((shape.outline - shape.centre) @ shape.down).min())
        lowest = float(((out[brow] - shape.centre) @ shape.down).max())
        lift = lowest - (top - BROW_CLEARANCE * eye_distance)
        if lift > 0:
            out[brow] -= lift * shape.down
    return out


# The person's brows are drawn BROW_SCALE times their measured thickness (of the face's size), at least
# BROW_THINNEST times the drawing's ink weight; a brow tapers to BROW_TAIL of its thickness at its tail. A
# brow as dark against the skin as BROW_FULL_CONTRAST (CIELAB lightness) or more is the ink's colour; a
# lighter one is that much of the way from the skin to the ink, at least BROW_LIGHTEST.
BROW_SCALE = 0.9
BROW_THINNEST = 0.7
BROW_TAIL = 0.45
BROW_FULL_CONTRAST = 35.0
BROW_LIGHTEST = 0.45
BROW_SUPERSAMPLE = 4


def brow_layer(shape: tuple[int, int], points: np.ndarray, thickness: float) -> np.ndarray:
    """A brow's coverage (float32 0..1): a band along points (inner end first) `thickness` pixels thick at
    the inner end, tapering to BROW_TAIL of it at the tail, anti-aliased."""
    scale = BROW_SUPERSAMPLE
    t = np.linspace(0.0, 1.0, 24)
    along = np.linspace(0.0, 1.0, len(points))
    curve = np.stack([np.interp(t, along, points[:, 0]), np.interp(t, along, points[:, 1])], axis=1)
    tangent = np.gradient(curve, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-6)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    half = thickness / 2 * (1.0 - (1.0 - BROW_TAIL) * t) * (0.75 + 0.25 * np.minimum(1.0, t / 0.15))
    outline = np.concatenate([curve + normal * half[:, None], (curve - normal * half[:, None])[::-1]])
    big = np.zeros((shape[0] * scale, shape[1] * scale), dtype=np.uint8)
    cv2.fillPoly(big, [np.round((outline + 0.5) * scale - 0.5).astype(np.int32).reshape(-1, 1, 2)], 255, cv2.LINE_AA)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def brow_colour(ink: Ink, skin_rgb: np.ndarray, contrast: float) -> np.ndarray:
    """The brows' colour (RGB): the ink's, towards the skin for a person whose brows are light."""
    share = float(np.clip(contrast / BROW_FULL_CONTRAST, BROW_LIGHTEST, 1.0))
    return skin_rgb + share * (np.asarray(ink.colour, dtype=np.float32) - skin_rgb)
