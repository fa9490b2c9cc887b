"""The drawing's tones and ink, and the photo's face redrawn in them.

The drawing is measured first: its skin palette (`drawn_palette`: the base tone, the drawing's own shadow
tone and blush, the drawn irises' colour), where it shades and blushes its own skin (`drawn_tone_maps`)
and its ink (`drawn_ink`: the colour and the stroke width of its outline). The photo's skin then becomes
the drawing's flat tones (`drawn_tones`: soft cel shading between the base and the shadow tone, the
shadow where the photo's face is in shade or the drawing had its own shadow), its eyes and mouth keeping
their shapes in the drawn colours; unstylised, it is only recoloured (`recolour`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...landmarks import LEFT_EYE, MOUTH, RIGHT_EYE
from ...shared import colour
from ...util import disc, fill_polygons
from . import region as _region
from .region import drawn_features, drawn_iris, face_frame, fill_holes, skin_tone

# The palette. The drawn skin's pixels are split into PALETTE_CLUSTERS clusters (CIELAB k-means): the
# most common is the base; a darker one is the drawing's shadow tone when it is at least MIN_SHADOW_STEP
# darker (less is JPEG noise on one flat tone) and at most MAX_SHADOW_STEP (more is hair or line caught in
# the skin), else the shadow is FALLBACK_SHADOW_STEP darker than the base (a soft anime shadow), towards
# the line colour.
# The drawn face's region holds its lit skin; its shadow (under the bangs, below the chin) lies along its
# edge, so the palette is sampled this many eye distances beyond it too (the box still bounds it).
PALETTE_GROW = 0.15
MIN_SHADOW_STEP = 4.0
MAX_SHADOW_STEP = 30.0
# Holes in the drawing's shadow (blush) shapes smaller than a disc of this many eye distances are filled.
TONE_HOLE = 0.15
FALLBACK_SHADOW_STEP = 8.0
# ... and this much more colourful than the base: a darker tone of the same chroma reads grey beside it.
FALLBACK_SHADOW_CHROMA = 1.4
# Each cluster must hold at least this share of the skin, or the "shadow" is a few stray pixels.
MIN_SHADOW_SHARE = 0.05
# Three clusters: the base, and room for both a shadow and a blush (which would otherwise pass for the shadow).
PALETTE_CLUSTERS = 3
# A cluster whose a* (red) rises this much more than its b* (yellow) is blush, not shadow: anime shadows
# on skin turn warmer (more yellow or evenly), blush turns pink.
BLUSH_REDDER = 3.0
# Cel shading: the photo's skin lightness (relative to its mean, smoothed over SHADE_SMOOTH eye distances
# so the shadows are a few broad shapes, not the photo's pores and wrinkles) turns to the shadow tone
# below CEL_SHADOW_AT, in a soft step CEL_SOFTNESS wide.
SHADE_SMOOTH = 0.06
CEL_SHADOW_AT = -10.0
CEL_SOFTNESS = 4.0
CEL_MAX_SHARE = 0.12
# The photo's eyes and mouth (inside their landmark outlines, grown by FEATURE_GROW eye distances) keep
# FEATURE_CONTRAST of their own shading and ACG_COLOUR_DETAIL of their own tint around the base tone, so
# the irises, eye whites, lips and teeth stay readable; the skin around them is flat.
FEATURE_GROW = 0.03
FEATURE_CONTRAST = 0.8
ACG_COLOUR_DETAIL = 0.5
# The photo's eye pixels more than IRIS_FROM darker than its skin (its iris and pupil) turn to the drawn
# irises' colour over the next IRIS_RAMP, so the eyes read as the drawing's eyes in the person's shape.
IRIS_FROM = 20.0
IRIS_RAMP = 15.0

# The ink. The line colour is the median of the darkest pixels along the drawn face's edge; its weight
# is the stroke width of the drawn outline below the eyes (the jaw and chin: the hair above would pass for
# lines): pixels darker than INK_DARK of the way from the line colour to the skin, measured across by
# their distance transform along the strokes' middles. Hair strands still touch the cheeks and are
# thicker than the outline, so the width is the INK_PERCENTILE-th percentile of the strokes' widths, not
# their median, and it is kept within INK_WIDTH_RANGE eye distances (a broken outline must not give an
# invisible line, nor a lock of hair a marker pen).
INK_DARK = 0.4
INK_PERCENTILE = 30
INK_WIDTH_RANGE = (0.012, 0.045)
# The weight (eye distances) when the drawing shows too little outline to measure.
DEFAULT_INK_WIDTH = 0.03


@dataclass
class Palette:
    """The drawn skin's tones (CIELAB): the flat base and the drawing's shadow tone."""

    base: np.ndarray
    shadow: np.ndarray
    blush: np.ndarray | None  # the drawing's blush on the cheeks, when it has one
    drawn_shadow: bool  # the shadow is the drawing's own (else a fixed step darker than the base)
    iris: np.ndarray | None = None  # the drawn irises' colour, when the eyes are drawn open


@dataclass
class Ink:
    """The drawing's line colour (RGB) and stroke width (pixels)."""

    colour: np.ndarray
    width: float


def stylise(image: np.ndarray, eye_distance: float) -> np.ndarray:
    """A photographed face smoothed towards drawn art: flat skin, edges kept."""
    return cv2.edgePreservingFilter(image, flags=cv2.RECURS_FILTER, sigma_s=max(5.0, 0.3 * eye_distance), sigma_r=0.25)


def _skin_pixels(lab: np.ndarray, region: np.ndarray, kps: np.ndarray, grow: float = 0.0) -> np.ndarray:
    """The drawn face's skin (bool): the region (grown by `grow` eye distances) without the drawn eyes and
    mouth, near the cheeks' tone."""
    tone = skin_tone(lab, kps)
    near = (
        np.sqrt((((lab - tone) / np.asarray(_region.DRAWN_SKIN_TOLERANCE)) ** 2).sum(axis=-1)) < _region.PALETTE_REACH
    )
    if grow > 0:
        region = cv2.dilate(region, disc(max(1, round(grow * float(np.linalg.norm(kps[1] - kps[0]))))))
    return near & (region > 0) & (drawn_features(lab.shape[:2], kps) == 0)


def drawn_palette(lab: np.ndarray, region: np.ndarray, kps: np.ndarray, line: np.ndarray | None = None) -> Palette:
    """The drawn skin's tones (CIELAB) from PALETTE_CLUSTERS clusters of its skin's colours: the most
    common is the base; a redder one is the drawing's blush; a darker one its shadow tone (a fixed step
    darker than the base, towards the line colour `line` (CIELAB), when the drawing shows no distinct
    shadow)."""
    pixels = lab[_skin_pixels(lab, region, kps, grow=PALETTE_GROW)].astype(np.float32)
    if len(pixels) < 32:
        base = skin_tone(lab, kps).astype(np.float32)
        return Palette(base=base, shadow=_fallback_shadow(base, line), blush=None, drawn_shadow=False)
    cv2.setRNGSeed(0)  # the same palette every time for the same drawing
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, labels, _ = cv2.kmeans(pixels, PALETTE_CLUSTERS, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    clusters = sorted((pixels[labels.ravel() == k] for k in range(PALETTE_CLUSTERS)), key=len, reverse=True)
    base = np.median(clusters[0], axis=0)
    shadow = blush = None
    for cluster in clusters[1:]:
        if len(cluster) < MIN_SHADOW_SHARE * len(pixels):
            continue
        tone = np.median(cluster, axis=0)
        step, (red, yellow) = base[0] - tone[0], tone[1:] - base[1:]
        if red > max(yellow, 0.0) + BLUSH_REDDER:
            # The reddest of the pink clusters (a soft blush often splits into a faint and a full one).
            if step < MAX_SHADOW_STEP and (blush is None or tone[1] > blush[1]):
                blush = tone
        elif shadow is None and MIN_SHADOW_STEP <= step <= MAX_SHADOW_STEP:
            shadow = tone
    drawn_shadow = shadow is not None
    if shadow is None:
        shadow = _fallback_shadow(base, line)
    return Palette(base=base, shadow=shadow, blush=blush, drawn_shadow=drawn_shadow, iris=drawn_iris(lab, kps, base))


def _fallback_shadow(base: np.ndarray, line: np.ndarray | None) -> np.ndarray:
    """A shadow tone FALLBACK_SHADOW_STEP darker than the base, mixed towards the drawing's line colour
    and FALLBACK_SHADOW_CHROMA more colourful (the base's own tint made darker reads grey; drawn shadows
    take the warmth of the drawing's ink)."""
    if line is None or base[0] - line[0] < FALLBACK_SHADOW_STEP:
        shadow = base - np.array([FALLBACK_SHADOW_STEP, 0.0, 0.0])
    else:
        shadow = base + FALLBACK_SHADOW_STEP / (base[0] - line[0]) * (line - base)
    shadow[1:] *= FALLBACK_SHADOW_CHROMA
    return shadow.astype(np.float32)


def drawn_tone_maps(
    lab: np.ndarray, region: np.ndarray, kps: np.ndarray, palette: Palette
) -> tuple[np.ndarray, np.ndarray]:
    """Where the drawing shades its own skin and where it blushes (float 0..1 each): skin pixels nearer
    the shadow (blush) tone than the palette's other tones (under the bangs, below the chin; on the
    cheeks), softened by a pixel."""
    tones = [palette.base, palette.shadow] + ([] if palette.blush is None else [palette.blush])
    nearest = np.argmin(np.stack([np.linalg.norm(lab - tone, axis=-1) for tone in tones]), axis=0)
    skin_pixels = _skin_pixels(lab, region, kps)
    maps = []
    for index, drawn in ((1, palette.drawn_shadow), (2, palette.blush is not None)):
        if not drawn:
            maps.append(np.zeros(lab.shape[:2], dtype=np.float32))
            continue
        tone_map = ((nearest == index) & skin_pixels).astype(np.uint8)
        tone_map = cv2.morphologyEx(tone_map, cv2.MORPH_OPEN, disc(1))  # not the odd JPEG pixel
        tone_map = _fill_small_holes(tone_map, TONE_HOLE * float(np.linalg.norm(kps[1] - kps[0]))).astype(np.float32)
        maps.append(np.clip(cv2.GaussianBlur(tone_map, (0, 0), 1.0), 0.0, 1.0))
    return maps[0], maps[1]


def _fill_small_holes(mask: np.ndarray, radius: float) -> np.ndarray:
    """The mask (uint8 0/1) with the holes it encloses filled where they are smaller than a disc of radius:
    a drawn shadow shape whose darker middle is no skin tone (the nose's shading) stays one shape, not a
    ring."""
    holes = fill_holes(mask) - mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes)
    small = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] <= math.pi * radius * radius]
    return (mask | np.isin(labels, small)).astype(np.uint8)


def line_colour(lab: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The drawing's line colour (RGB): the median of the darkest pixels along the drawn face's edge."""
    return colour.from_lab(line_lab(lab, region).reshape(1, 1, 3).astype(np.float32)).reshape(3)


def line_lab(lab: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The drawing's line colour (CIELAB): see line_colour."""
    ring = (cv2.dilate(region, disc(3)) - cv2.erode(region, disc(1))) > 0
    pixels = lab[ring] if ring.sum() >= 16 else lab.reshape(-1, 3)
    dark = pixels[pixels[:, 0] <= np.percentile(pixels[:, 0], 5)]
    return np.median(dark, axis=0)


def drawn_ink(lab: np.ndarray, region: np.ndarray, kps: np.ndarray, palette: Palette) -> Ink:
    """The drawing's line colour and stroke width: the width of the drawn outline below the eyes, from the
    distance transform of its dark pixels (a stroke w pixels wide is (w + 1) / 2 deep at its middle)."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    line = line_lab(lab, region)
    lowest, highest = (fraction * eye_distance for fraction in INK_WIDTH_RANGE)
    dark = (lab[..., 0] < line[0] + INK_DARK * (palette.base[0] - line[0])).astype(np.uint8)
    # The band just outside the drawn face, below the eyes: the jaw's and chin's outline.
    reach = max(2, math.ceil(highest) + 1)
    band = cv2.dilate(region, disc(reach)) & (1 - region)
    centre, _, down = face_frame(kps)
    ys, xs = np.mgrid[0 : lab.shape[0], 0 : lab.shape[1]]
    band &= (((xs - centre[0]) * down[0] + (ys - centre[1]) * down[1]) > 0.3 * eye_distance).astype(np.uint8)
    depth = cv2.distanceTransform(dark, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ridge = (depth > 0) & (depth >= cv2.dilate(depth, np.ones((3, 3), np.uint8))) & (band > 0)
    if ridge.sum() >= 8:
        width = 2.0 * float(np.percentile(depth[ridge], INK_PERCENTILE)) - 1.0
    else:
        width = DEFAULT_INK_WIDTH * eye_distance
    colour_rgb = colour.from_lab(line.reshape(1, 1, 3).astype(np.float32)).reshape(3)
    return Ink(colour=colour_rgb, width=float(np.clip(width, lowest, highest)))


def _step(values: np.ndarray, at: float) -> np.ndarray:
    """0 below at, 1 above, a smooth step CEL_SOFTNESS wide between."""
    t = np.clip((values - at) / CEL_SOFTNESS + 0.5, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def cel_shade(light: np.ndarray, eye_distance: float, weights: np.ndarray | None = None) -> np.ndarray:
    """How much of the shadow tone each skin pixel takes (0..1): the photo's skin lightness (relative to
    its mean) smoothed into broad shapes, then a soft step at CEL_SHADOW_AT (soft cel shading), lowered
    when needed so at most CEL_MAX_SHARE of the skin (weights > 0.5, when given) is in shadow: a drawn
    face has a few small shadows, not the photo's broad shading as patches."""
    smooth = cv2.GaussianBlur(light.astype(np.float32), (0, 0), max(1.0, SHADE_SMOOTH * eye_distance))
    at = CEL_SHADOW_AT
    if weights is not None and (weights > 0.5).sum() >= 16:
        at = min(at, float(np.percentile(smooth[weights > 0.5], 100 * CEL_MAX_SHARE)))
    return (1.0 - _step(smooth, at)).astype(np.float32)


def feature_masks(shape: tuple[int, int], landmarks: np.ndarray, eye_distance: float) -> tuple[np.ndarray, np.ndarray]:
    """The photo's eyes and its mouth (float 0..1 each): their landmark outlines grown by FEATURE_GROW,
    soft-edged."""
    grow = disc(max(1, round(FEATURE_GROW * eye_distance)))
    masks = []
    for polygons in ([landmarks[RIGHT_EYE], landmarks[LEFT_EYE]], [landmarks[MOUTH[:12]]]):
        mask = cv2.dilate(fill_polygons(shape, polygons), grow).astype(np.float32)
        masks.append(np.clip(cv2.GaussianBlur(mask, (0, 0), 0.8), 0.0, 1.0))
    return masks[0], masks[1]


def skin_tones(palette: Palette, shade: np.ndarray, blush: np.ndarray) -> np.ndarray:
    """Flat skin (CIELAB): the base tone, shade (0..1) of the shadow tone over it, blush over that."""
    skin_lab = palette.base + shade[..., None] * (palette.shadow - palette.base)
    if palette.blush is not None:
        skin_lab = skin_lab + blush[..., None] * (palette.blush - skin_lab)
    return skin_lab


def drawn_tones(
    moved: np.ndarray,
    weights: np.ndarray,
    palette: Palette,
    *,
    eyes: np.ndarray,
    mouth: np.ndarray,
    drawn_shadow: np.ndarray,
    drawn_blush: np.ndarray,
    eye_distance: float,
) -> np.ndarray:
    """The photo's face in the drawing's palette: skin in the base tone, the shadow tone where the photo's
    face is in shade (cel_shade) or the drawing had its own shadow, the drawing's blush where it had one;
    its eyes and mouth keep FEATURE_CONTRAST of their shading and ACG_COLOUR_DETAIL of their tint around
    the base tone, and the dark of its eyes (iris, pupil) takes the drawn irises' colour."""
    lab = colour.to_lab(moved)
    mean = colour.weighted_mean(lab, weights)
    light = lab[..., 0] - mean[0]
    skin_lab = skin_tones(palette, np.maximum(cel_shade(light, eye_distance, weights), drawn_shadow), drawn_blush)
    feature_lab = np.empty_like(lab)
    feature_lab[..., 0] = np.clip(palette.base[0] + FEATURE_CONTRAST * light, 0, 100)
    feature_lab[..., 1:] = palette.base[1:] + ACG_COLOUR_DETAIL * (lab[..., 1:] - mean[1:])
    if palette.iris is not None:
        iris = (eyes * np.clip((-light - IRIS_FROM) / IRIS_RAMP, 0.0, 1.0))[..., None]
        feature_lab = feature_lab + iris * (palette.iris - feature_lab)
    out = skin_lab + np.maximum(eyes, mouth)[..., None] * (feature_lab - skin_lab)
    return colour.from_lab(out.astype(np.float32))


def recolour(moved: np.ndarray, weights: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """The photo's face, not stylised, in the drawn skin's colour: its skin's mean becomes the drawn tone,
    its shading kept, its tint halved."""
    lab = colour.to_lab(moved)
    mean = colour.weighted_mean(lab, weights)
    lab[..., 0] = np.clip(tone[0] + lab[..., 0] - mean[0], 0, 100)
    lab[..., 1:] = tone[1:] + ACG_COLOUR_DETAIL * (lab[..., 1:] - mean[1:])
    return colour.from_lab(lab)
