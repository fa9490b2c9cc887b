"""The brows: whether the drawing's own brows show (then the photo's are not drawn) and the photo's brows
raised clear of the enlarged eyes."""

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
