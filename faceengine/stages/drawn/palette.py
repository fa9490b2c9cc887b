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
from dataclasses import dataclass, replace

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
SHADE_SMOOTH = 0.05
CEL_SHADOW_AT = -6.0
CEL_SOFTNESS = 4.0
CEL_MAX_SHARE = 0.3
# The photo's mouth (inside its landmark outline, grown by FEATURE_GROW eye distances) keeps
# FEATURE_CONTRAST of its own shading and ACG_COLOUR_DETAIL of its own tint around the base tone, so the
# lips and teeth stay readable; the skin around it is flat.
FEATURE_GROW = 0.03
FEATURE_CONTRAST = 0.8
ACG_COLOUR_DETAIL = 0.5

# The person's skin tone in the drawing's palette: every drawn skin tone (base, shadow, blush) is darkened
# by TONE_GAIN of how much darker the person's skin is (CIELAB lightness, as photographed) than
# TONE_REFERENCE (a light skin), at most TONE_DARKEST; a lighter skin lightens them by at most
# TONE_LIGHTEST. A darker drawn skin is a warmer, richer brown, as drawings colour dark skin (a darker tone
# of the same tint reads grey): TONE_CHROMA more chroma per unit of lightness lost, its hue turned towards
# TONE_HUE (degrees, CIELAB) by up to all of the way at TONE_HUE_FULL darker. The photo's own skin colour
# is not used: its white balance is only ever roughly right.
TONE_REFERENCE = 76.0
TONE_GAIN = 1.3
TONE_DARKEST = 32.0
TONE_LIGHTEST = 3.0
TONE_CHROMA = 0.45
TONE_HUE = 60.0
TONE_HUE_FULL = 30.0
# The drawing's own skin beyond the drawn face (ears, neck) takes the same tone (tone_drawn_skin).
TONE_NEAR = 8.0

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


def skin_shift(palette: Palette, skin_lab: np.ndarray) -> np.ndarray:
    """How the drawn skin's tones move (CIELAB) for a person whose skin is skin_lab (see TONE_GAIN)."""
    light = float(np.clip(TONE_GAIN * (skin_lab[0] - TONE_REFERENCE), -TONE_DARKEST, TONE_LIGHTEST))
    base = palette.base.astype(np.float64)
    chroma = math.hypot(base[1], base[2]) + TONE_CHROMA * max(-light, 0.0)
    hue = math.atan2(base[2], base[1])
    turn = min(max(-light, 0.0) / TONE_HUE_FULL, 1.0)
    hue += turn * math.atan2(math.sin(math.radians(TONE_HUE) - hue), math.cos(math.radians(TONE_HUE) - hue))
    moved = np.array([base[0] + light, chroma * math.cos(hue), chroma * math.sin(hue)])
    return (moved - base).astype(np.float32)


def person_palette(palette: Palette, shift: np.ndarray) -> Palette:
    """The drawn skin's tones moved by shift (skin_shift); the irises are left as drawn."""
    return replace(
        palette,
        base=palette.base + shift,
        shadow=palette.shadow + shift,
        blush=None if palette.blush is None else palette.blush + shift,
    )


def tone_drawn_skin(
    image: np.ndarray,
    lab: np.ndarray,
    palette: Palette,
    shift: np.ndarray,
    weight: np.ndarray,
    *,
    line: np.ndarray | None = None,
    edge: np.ndarray | None = None,
) -> np.ndarray:
    """image with the drawing's own skin around the face (the ears, the neck: where the drawing, lab, is
    within TONE_NEAR of its skin's base or shadow tone, fading out by TONE_NEAR more) moved by shift, times
    weight (float 0..1). Not near its blush: a drawn blush lies on the cheeks, inside the face, and pink
    or red hair is near it (its strands over the forehead and beside the face turned a skin brown). Where
    edge (0/1) is set, a pixel that mixes the skin with the line colour `line` (CIELAB) moves by the
    skin's share of it (`mixed_skin`)."""
    tones = [palette.base, palette.shadow]
    near = np.min(np.stack([np.linalg.norm(lab - tone, axis=-1) for tone in tones]), axis=0)
    amount = np.clip(2.0 - near / TONE_NEAR, 0.0, 1.0)
    # The pixels along the skin's edge (half skin, half line or hair) too, or a pale rim stays; not the
    # hair or line beside them.
    rim = cv2.dilate(amount, disc(1)) * np.clip(3.0 - near / TONE_NEAR, 0.0, 1.0)
    amount = np.maximum(amount, rim)
    if line is not None and edge is not None:
        amount = np.maximum(amount, mixed_skin(lab, palette.base, line) * edge)
    amount = amount * weight
    if amount.max() <= 0.0:
        return image
    out = image.copy()
    touched = amount > 0.0
    pixels = colour.to_lab(image[touched].reshape(-1, 1, 3)) + amount[touched].reshape(-1, 1, 1) * shift
    out[touched] = colour.from_lab(pixels.astype(np.float32)).reshape(-1, 3)
    return out


def mixed_skin(lab: np.ndarray, skin_lab: np.ndarray, line: np.ndarray) -> np.ndarray:
    """How much of each pixel is skin where it mixes the skin (skin_lab) with the drawing's line colour
    (both CIELAB), as an outline's anti-aliased edge does: its place along the line-to-skin segment, for
    pixels within TONE_NEAR of that segment (fading out by TONE_NEAR more); 0 elsewhere."""
    step = (skin_lab - line).astype(np.float32)
    t = np.clip(((lab - line) @ step) / max(float(step @ step), 1e-6), 0.0, 1.0)
    off = np.linalg.norm(lab - (line + t[..., None] * step), axis=-1)
    return (t * np.clip(2.0 - off / TONE_NEAR, 0.0, 1.0)).astype(np.float32)


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
    skin_probability: np.ndarray | None = None,
) -> np.ndarray:
    """The photo's face in the drawing's palette: skin in the base tone, the shadow tone where the photo's
    face is in shade (cel_shade; only on the photo's skin, when skin_probability is given: its hair or
    background is no shadow on the drawn face) or the drawing had its own shadow, the drawing's blush where
    it had one;
    its mouth keeps FEATURE_CONTRAST of its shading and ACG_COLOUR_DETAIL of its tint around the base tone.
    Its eyes (float 0..1) are plain skin: the drawing's own eyes go over them, and their darkness must
    not shade the skin round them."""
    lab = colour.to_lab(moved)
    mean = colour.weighted_mean(lab, weights)
    light = lab[..., 0] - mean[0]
    shade = cel_shade(light, eye_distance, weights) * (1.0 - eyes)
    if skin_probability is not None:
        shade *= np.clip(cv2.GaussianBlur(skin_probability, (0, 0), max(1.0, SHADE_SMOOTH * eye_distance)), 0.0, 1.0)
    skin_lab = skin_tones(palette, np.maximum(shade, drawn_shadow), drawn_blush)
    feature_lab = np.empty_like(lab)
    feature_lab[..., 0] = np.clip(palette.base[0] + FEATURE_CONTRAST * light, 0, 100)
    feature_lab[..., 1:] = palette.base[1:] + ACG_COLOUR_DETAIL * (lab[..., 1:] - mean[1:])
    out = skin_lab + mouth[..., None] * (feature_lab - skin_lab)
    return colour.from_lab(out.astype(np.float32))


def recolour(moved: np.ndarray, weights: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """The photo's face, not stylised, in the drawn skin's colour: its skin's mean becomes the drawn tone,
    its shading kept, its tint halved."""
    lab = colour.to_lab(moved)
    mean = colour.weighted_mean(lab, weights)
    lab[..., 0] = np.clip(tone[0] + lab[..., 0] - mean[0], 0, 100)
    lab[..., 1:] = tone[1:] + ACG_COLOUR_DETAIL * (lab[..., 1:] - mean[1:])
    return colour.from_lab(lab)
