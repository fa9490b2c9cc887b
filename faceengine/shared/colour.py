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
# How far the low-frequency shading may move the light from a face's mean skin lightness (relative),
# and its colour (CIELAB units).
SHADING_RANGE = 0.35
CHROMA_RANGE = 8.0
# The pixels a picture's colour cast is estimated on: lightness within these bounds, chroma below this.
NEUTRAL_LIGHTNESS = (15.0, 95.0)
NEUTRAL_CHROMA = 10.0
# The colour casts' difference is believed up to this much (CIELAB units): gray-world is easily fooled
# by a coloured backdrop (a blue-purple wall read as blue light turned a face purple).
MAX_CAST_SHIFT = 4.0
# Light changes colour along the daylight-to-lamplight line (blue to orange: in CIELAB about this (a, b)
# direction); a cast difference across it (green or magenta) is far more often gray-world misled by a
# photo's content (an orange suit, a green wall) than a real light, and it is what turns a face grey-green
# or purple next to the template's own skin. Only up to MAX_OFF_AXIS_SHIFT of it is believed.
CAST_AXIS = np.array([0.2, 1.0], dtype=np.float32) / np.float32(np.hypot(0.2, 1.0))
MAX_OFF_AXIS_SHIFT = 1.0
# The light on a face is read on the picture around it (tone_shift's boxes): its box grown by this
# fraction of its size on every side (the face, its hair and what lies just behind it), not on the whole
# picture, whose brightest part may be a window or a lamp far from the people. The casual snapshot is
# lit from a window beside the couple: its brightness is 77 over the whole picture, 61 around the wife's
# face, against 78-99 around the faces of the shared portraits; read over the whole picture, the
# light there seemed hardly dimmer than a studio's and a person's face came out 30 levels lighter than
# the template's skin around it (a seam along the cheeks and jaw). Measured on the look table: grown by
# 0.5, identity mean 0.448 and seam within target 22/24 (whole picture 0.458 and 20/24; grown by 1.0,
# 0.455 and 21/24).
LIGHT_AROUND = 0.5
# The template's light may make a person's skin at most this much lighter or darker (lightness ratio).
MAX_EXPOSURE_GAIN = 1.6
# The template's skin level may move at most this much towards the person's own (lightness ratio).
MAX_TONE_GAIN = 2.5
# How much of the way the template skin's colour (a, b) moves to the person's: the lightness, where
# tone differs most between people, moves all the way; the colour only part of it, because a photo's
# white balance is only estimated (a ruddy face under warm light would otherwise come out red). Measured
# on the shared pairs (skin ΔE to the person's own, white-balanced): 0.6 left a pale person on a ruddy
# template face 8.2 away (mean 4.8), 0.8 keeps every face within 7.8 (mean 4.2), 1.0 takes a ruddy one
# too far (8.2; mean 4.0).
CHROMA_KEEP = 0.8
# A template whose colours, beyond what follows lightness, spread by less than this (CIELAB units:
# grayscale, sepia) has no colour of its own to keep a person's skin colour in.
COLOURFUL_SPREAD = 4.0
# A lightness difference at a mask's edge counts, spread by edge_correction, against this weight of no
# difference, so it fades out where the edge is far.
EDGE_PRIOR = 0.05
# The global mean counts as this fraction of skin in the local means (see _bounded_local_mean).
PRIOR_WEIGHT = 0.02
# Lightness more than the template skin's own highlights (plus this headroom) above the template's local
# skin light is compressed by this slope.
HIGHLIGHT_HEADROOM = 2.0
HIGHLIGHT_SLOPE = 0.3
# The template's colour detail relative to the source's decides how much of the source's own colour
# (red lips, flushed cheeks) survives; never more than the source had.
MAX_CHROMA_GAIN = 1.0
# The most of its skin's colour a source pixel is taken to have (red lips have about 1.5 times).
MAX_SKIN_AMOUNT = 2.0


def to_lab(image: np.ndarray) -> np.ndarray:
    # (One pass to float32 0..1: the same values as image.astype(np.float32) / 255.0.)
    return cv2.cvtColor(np.divide(image, np.float32(255.0), dtype=np.float32), cv2.COLOR_RGB2LAB)


def from_lab(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def scene_light(image: np.ndarray) -> np.ndarray:
    """A picture's light as CIELAB (L, a, b): its brightness (the 95th percentile of lightness: the
    bright end follows the light more than the content) and its colour cast (gray-world on its
    near-neutral pixels; all pixels when too few are), read on every n-th pixel, about 96 across (the
    light is a property of the whole picture: a few thousand pixels tell it as well as a million)."""
    lab = _light_sample(image)
    neutral = (lab[:, 0] > NEUTRAL_LIGHTNESS[0]) & (lab[:, 0] < NEUTRAL_LIGHTNESS[1])
    neutral &= np.hypot(lab[:, 1], lab[:, 2]) < NEUTRAL_CHROMA
    chosen = lab[neutral] if neutral.sum() >= 64 else lab
    return np.array([np.percentile(lab[:, 0], 95), *chosen[:, 1:].mean(axis=0)], dtype=np.float32)


def scene_brightness(image: np.ndarray) -> float:
    """scene_light's brightness alone (the same number, without the colour cast's work)."""
    return float(np.float32(np.percentile(_light_sample(image)[:, 0], 95)))


def _light_sample(image: np.ndarray) -> np.ndarray:
    """Every n-th pixel of a picture, about 96 across, in CIELAB (one row per pixel)."""
    step = max(1, max(image.shape[:2]) // 96)
    return to_lab(np.ascontiguousarray(image[::step, ::step, :3])).reshape(-1, 3)


def around(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The part of a picture around a face's box (x1, y1, x2, y2): grown by LIGHT_AROUND of its size."""
    x1, y1, x2, y2 = (float(v) for v in box[:4])
    grow = LIGHT_AROUND * max(x2 - x1, y2 - y1)
    height, width = image.shape[:2]
    top, bottom = max(0, int(y1 - grow)), min(height, int(np.ceil(y2 + grow)))
    left, right = max(0, int(x1 - grow)), min(width, int(np.ceil(x2 + grow)))
    if bottom - top < 2 or right - left < 2:
        return image
    return image[top:bottom, left:right]


def tone_shift(
    photo: np.ndarray, template: np.ndarray, *, boxes: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[float, np.ndarray]:
    """How the light differs from a person's photo to a template: (lightness gain, (a, b) shift).

    boxes (the person's face box in the photo, the template face's box): the brightness is read around
    each face (see LIGHT_AROUND) rather than over the whole picture; the colour cast is the whole
    picture's either way (gray-world needs the whole scene)."""
    source, target = scene_light(photo), scene_light(template)
    if boxes is not None:
        source[0] = scene_brightness(around(photo, boxes[0]))
        target[0] = scene_brightness(around(template, boxes[1]))
    gain = float(np.clip(target[0] / max(float(source[0]), 1.0), 1 / MAX_EXPOSURE_GAIN, MAX_EXPOSURE_GAIN))
    shift = target[1:] - source[1:]
    along = float(shift @ CAST_AXIS)
    across = shift - along * CAST_AXIS
    across *= min(1.0, MAX_OFF_AXIS_SHIFT / max(float(np.linalg.norm(across)), 1e-6))
    shift = along * CAST_AXIS + across
    return gain, shift * min(1.0, MAX_CAST_SHIFT / max(float(np.linalg.norm(shift)), 1e-6))


def weighted_mean(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The per-channel mean of image over weights (the plain mean when the weights are all zero)."""
    total = float(weights.sum())
    if total < 1e-3:
        return image.reshape(-1, image.shape[-1]).mean(axis=0)
    # (Per plane: the channels of an interleaved image are strided, several times slower to multiply.)
    return np.array([float((plane * weights).sum()) / total for plane in cv2.split(image)])


def match_colour(
    source: np.ndarray,
    target: np.ndarray,
    source_mask: np.ndarray,
    target_mask: np.ndarray,
    *,
    eye_distance: float,
    protect: np.ndarray | None = None,
    keep_tone: tuple[float, np.ndarray] | None = None,
    tone_weight: np.ndarray | None = None,
    edge_light: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> np.ndarray:
    """The source (already moved onto the target) recoloured to the target's light and colour.

    source/target: RGB uint8 of the same size; the masks (float32 0..1) weight each one's clean skin
    (see `skin.skin_map`: no hair, eyes, brows or mouth). Global statistics of the two skins set the
    level; a low-frequency shading correction, bounded to SHADING_RANGE of it, moves the template's
    light and shadow across the face, so hair or background can never make a bright or dark blotch.
    Lightness brighter than the template's own highlights is rolled off, except where `protect` (float
    0..1) is set: the whites of the eyes and teeth may be brighter than any skin.
    keep_tone (the light's lightness gain and (a, b) shift from the person's photo to the template, see
    `tone_shift`): the person keeps their own skin tone under the template's light; the template's skin
    is first brought to that tone (its shading, contrast and colour spread stay), then matched as above.
    tone_weight (float 0..1 per pixel) says how far each pixel takes the person's tone: the pipeline
    fades it in from the mask's edge, so a person much darker or lighter than the template shows no edge.
    edge_light (edge: bool per pixel, weight: float 0..1 per pixel, blur: pixels): the result's lightness
    is brought to the template's on the edge pixels, the differences spread along the edge by a blur and
    applied by weight (see `edge_correction`).
    """
    sigma = max(2.0, BLUR_FRACTION * eye_distance)
    src_lab, tgt_lab = to_lab(source), to_lab(target)
    src_skin = weighted_mean(src_lab, source_mask)
    level: float | np.ndarray = 1.0
    if keep_tone is not None:
        weight = np.ones(target_mask.shape, dtype=np.float32) if tone_weight is None else tone_weight
        tgt_lab, scale = _in_person_tone(tgt_lab, target_mask, src_skin, keep_tone, weight)
        level = 1.0 + (scale - 1.0) * weight
    src_mean = _bounded_local_mean(src_lab, source_mask, sigma, src_skin)
    tgt_mean = _bounded_local_mean(tgt_lab, target_mask, sigma, weighted_mean(tgt_lab, target_mask))
    src = cv2.split(src_lab)
    tgt_l = tgt_lab[..., 0]
    # Lightness: the source's detail (its lightness over its own skin's local light) times the
    # template's local light (brought to the person's level when their tone is kept).
    lightness = src[0] * (tgt_mean[0] * level / np.maximum(src_mean[0], 1.0))
    if edge_light is not None:
        # (Before the highlights are rolled off: a correction may not make a bright patch either.)
        edge, weight, blur = edge_light
        lightness = lightness + weight * edge_correction(tgt_l - lightness, edge, blur)
    compressed = _compress_highlights(lightness, tgt_l * level, tgt_mean[0] * level, target_mask)
    if protect is not None:
        compressed = compressed + protect * (lightness - compressed)
    lightness = np.minimum(np.maximum(compressed, 0.0), 100.0)
    # Colour: the source's colours in the template's colour character (see transfer_chroma).
    both = (source_mask > 0.5) & (target_mask > 0.5)
    if both.sum() < 16:
        both = (source_mask > 0.05) & (target_mask > 0.05)
    if both.sum() < 16:
        both = np.ones(source_mask.shape, dtype=bool)
    a, b = transfer_chroma(src, src_mean, cv2.split(tgt_lab), tgt_mean, lightness, both, source_mask, level)
    return from_lab(cv2.merge([lightness.astype(np.float32), a, b]))


def edge_correction(difference: np.ndarray, edge: np.ndarray, blur: float) -> np.ndarray:
    """The difference (float32 plane) known on the edge pixels, spread smoothly around them by a
    normalised blur of width `blur` and fading to 0 away from them (on a copy scaled down to the blur:
    the result is smooth)."""
    height, width = edge.shape
    factor = max(1.0, blur / 3.0)
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    known = edge.astype(np.float32)
    values = np.where(edge, difference, 0.0).astype(np.float32)
    if factor > 1:
        known = cv2.resize(known, small, interpolation=cv2.INTER_AREA)
        values = cv2.resize(values, small, interpolation=cv2.INTER_AREA)
    sigma = max(1.0, blur / factor)
    # A small prior weight of no difference: away from the edge the correction is nothing.
    spread = cv2.GaussianBlur(values, (0, 0), sigma) / (cv2.GaussianBlur(known, (0, 0), sigma) + EDGE_PRIOR)
    if factor > 1:
        spread = cv2.resize(spread, (width, height), interpolation=cv2.INTER_LINEAR)
    return spread


def _in_person_tone(
    tgt_lab: np.ndarray,
    target_mask: np.ndarray,
    person: np.ndarray,
    keep_tone: tuple[float, np.ndarray],
    weight: np.ndarray,
) -> tuple[np.ndarray, float]:
    """The template crop with its skin's colour moved towards the person's skin (mean `person`) under
    the template's light, as far as the template has colours of its own (not at all for grayscale or
    sepia, whose look must stay), and the factor that brings its skin's lightness to the person's (at most
    MAX_TONE_GAIN either way; applied to the result's lightness, so a sepia hue follows it)."""
    gain, shift = keep_tone
    skin = weighted_mean(tgt_lab, target_mask)
    scale = float(np.clip(person[0] * gain / max(float(skin[0]), 1.0), 1 / MAX_TONE_GAIN, MAX_TONE_GAIN))
    keep = CHROMA_KEEP * _colourfulness(tgt_lab)
    if keep == 0.0:
        return tgt_lab, scale
    # (Plane by plane: the same sums as on the interleaved image, without its strided access.)
    lightness, a, b = cv2.split(tgt_lab)
    amount = keep * weight
    delta = (person[1:] + shift - skin[1:]).astype(np.float32)
    a += amount * delta[0]
    b += amount * delta[1]
    return cv2.merge([lightness, a, b]), scale


def _colourfulness(lab: np.ndarray) -> float:
    """0 for a picture whose colour only follows its lightness (grayscale, sepia) up to 1 for a colour
    photo: the spread of a and b left after their linear fit on lightness, over COLOURFUL_SPREAD."""
    step = max(1, round((lab.shape[0] * lab.shape[1] / 4000) ** 0.5))
    sample = lab[::step, ::step].reshape(-1, 3).astype(np.float64)
    light = np.stack([sample[:, 0], np.ones(len(sample))], axis=1)
    coefficients, *_ = np.linalg.lstsq(light, sample[:, 1:], rcond=None)
    spread = float(np.sqrt(((sample[:, 1:] - light @ coefficients) ** 2).sum(axis=1).mean()))
    return float(np.clip(spread / COLOURFUL_SPREAD - 0.25, 0.0, 1.0))


def _bounded_local_mean(lab: np.ndarray, weights: np.ndarray, sigma: float, mean: np.ndarray) -> list[np.ndarray]:
    """The skin's local mean colour (L, a and b planes), within SHADING_RANGE (lightness, relative) and
    CHROMA_RANGE (a, b) of the global mean, and pulled towards the global mean where little skin is near."""
    height, width = weights.shape
    factor = max(1.0, sigma / 3.0)
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    w = cv2.resize(weights, small, interpolation=cv2.INTER_AREA) if factor > 1 else weights
    x = cv2.resize(lab, small, interpolation=cv2.INTER_AREA) if factor > 1 else lab
    blur_w = cv2.GaussianBlur(w, (0, 0), sigma / factor)
    blur_x = cv2.GaussianBlur(x * w[..., None], (0, 0), sigma / factor)
    # The global mean as a prior worth PRIOR_WEIGHT of skin: where the blur saw (almost) no skin, it wins.
    local = (blur_x + PRIOR_WEIGHT * mean.astype(np.float32)) / (blur_w + PRIOR_WEIGHT)[..., None]
    low = np.array([mean[0] * (1 - SHADING_RANGE), mean[1] - CHROMA_RANGE, mean[2] - CHROMA_RANGE], np.float32)
    high = np.array([mean[0] * (1 + SHADING_RANGE), mean[1] + CHROMA_RANGE, mean[2] + CHROMA_RANGE], np.float32)
    local = np.minimum(np.maximum(local, low), high)
    if factor > 1:
        local = cv2.resize(local, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.split(local)


def _compress_highlights(
    lightness: np.ndarray, target: np.ndarray, target_local: np.ndarray, target_mask: np.ndarray
) -> np.ndarray:
    """Lightness above the template skin's own highlights rolls off softly instead of burning out.

    The knee is the lower of two: as far above the template's local skin light as its brightest skin
    lies above its local light (the 99th percentile), and the template skin's brightest overall (its
    99th percentile); each plus HIGHLIGHT_HEADROOM. So a shiny nose or forehead of a source photo never
    becomes a white patch, nor is any skin brighter than the template's brightest skin by much.
    """
    step = (slice(None, None, 2), slice(None, None, 2))
    skin = target_mask[step] > 0.5
    if skin.sum() < 16:
        return lightness
    above = float(np.percentile((target[step] - target_local[step])[skin], 99))
    brightest = float(np.percentile(target[step][skin], 99))
    knee = np.minimum(target_local + max(above, 2.0), brightest) + HIGHLIGHT_HEADROOM
    return np.where(lightness > knee, knee + HIGHLIGHT_SLOPE * (lightness - knee), lightness)


def transfer_chroma(
    src: list[np.ndarray],
    src_mean: list[np.ndarray],
    tgt: list[np.ndarray],
    tgt_mean: list[np.ndarray],
    out_lightness: np.ndarray,
    where: np.ndarray,
    src_skin: np.ndarray,
    level: float | np.ndarray = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The colour (a and b planes) of the result: the source's colours in the template's colour character.

    src, tgt and their local skin means are CIELAB planes (L, a, b). Each face's skin colour is split
    into a part that follows lightness (in a sepia or a warm-lit picture, darker means more orange) and
    the rest. A source pixel is then seen as some amount k of its own skin colour (at its lightness)
    plus a remainder: skin is k = 1 (src_skin, float 0..1, says where the source shows skin), red lips
    more than 1, the whites of the eyes and teeth about 0. The
    result is k times the template's skin colour at the result's lightness, plus the remainder mapped
    onto the template's spread of colours (a linear map between the two skins' 2x2 covariances, never
    amplifying). So teeth and eyes stay neutral instead of turning the colour opposite to the skin, a
    grayscale template gives a grayscale face, and a sepia one (whose colour is all in the
    lightness-following part) a sepia face, teeth included. level: the factor the result's lightness was
    brought to the person's skin by (see match_colour's keep_tone).
    """
    # Statistics on every other pixel of the skin both faces show: the same numbers, a quarter of the work.
    sub = where[::2, ::2] if where[::2, ::2].sum() >= 16 else where
    step = 2 if sub is not where else 1

    def samples(planes, means):
        pairs = zip(planes, means, strict=True)
        return np.stack([(plane[::step, ::step] - mean[::step, ::step])[sub] for plane, mean in pairs])

    src_s, tgt_s = samples(src, src_mean).astype(np.float64), samples(tgt, tgt_mean).astype(np.float64)
    src_slope = (src_s[1:] @ src_s[0]) / max(float(src_s[0] @ src_s[0]), 1e-6)
    tgt_slope = (tgt_s[1:] @ tgt_s[0]) / max(float(tgt_s[0] @ tgt_s[0]), 1e-6)
    src_rest = src_s[1:] - src_slope[:, None] * src_s[0]
    tgt_rest = tgt_s[1:] - tgt_slope[:, None] * tgt_s[0]
    m = _covariance_map(src_rest @ src_rest.T / src_s.shape[1], tgt_rest @ tgt_rest.T / tgt_s.shape[1])
    # How colourful the template is next to the source: 1 for a colour photo, 0 for grayscale or sepia.
    colourful = float(np.clip(np.linalg.svd(m, compute_uv=False).mean(), 0.0, 1.0))
    # The skins' colour at a given lightness, only within the lightness each skin really shows (a dark
    # iris is not extrapolated into a deep orange); but a template without colours of its own (sepia)
    # tints everything by its lightness, however dark or light.
    tgt_low, tgt_high = np.percentile(tgt_s[0], [1, 99])
    src_low, src_high = np.percentile(src_s[0], [1, 99])
    # (A colour template's skin colour is read at the result's lightness relative to its skin brought to
    # the person's level; one without colours of its own keeps following its own lightness.)
    # (Clipped in float32 and in place: the same values as clipping to the float64 bounds and casting.)
    relative = out_lightness - tgt_mean[0] * level
    relative /= level
    np.minimum(np.maximum(relative, np.float32(tgt_low), out=relative), np.float32(tgt_high), out=relative)
    if colourful == 1.0:
        out_ld = relative
    else:
        out_ld = (colourful * relative.astype(np.float64) + (1.0 - colourful) * (out_lightness - tgt_mean[0])).astype(
            np.float32
        )
    src_ld = src[0] - src_mean[0]
    np.minimum(np.maximum(src_ld, np.float32(src_low), out=src_ld), np.float32(src_high), out=src_ld)
    # (Worked in place on float32 planes, each sum and product as written in the comments, so the values
    # are the same as the plain expressions' without a new picture-sized array for every step.)
    # base = tgt_mean + slope * out_ld, skin = src_mean + slope * src_ld
    base_a = np.float32(tgt_slope[0]) * out_ld
    base_a += tgt_mean[1]
    base_b = np.float32(tgt_slope[1]) * out_ld
    base_b += tgt_mean[2]
    skin_a = np.float32(src_slope[0]) * src_ld
    skin_a += src_mean[1]
    skin_b = np.float32(src_slope[1]) * src_ld
    skin_b += src_mean[2]
    # norm2 = skin_a^2 + skin_b^2; k = (src_a * skin_a + src_b * skin_b) / max(norm2, 1), within 0..MAX_SKIN_AMOUNT
    norm2 = skin_a * skin_a
    norm2 += skin_b * skin_b
    k = src[1] * skin_a
    k += src[2] * skin_b
    k /= np.maximum(norm2, 1.0)
    np.minimum(np.maximum(k, 0.0, out=k), MAX_SKIN_AMOUNT, out=k)
    # A source without colour (a black-and-white photo) says nothing about k: all of it is "skin"; so
    # is what the skin model calls skin (a washed-out forehead is pale skin, not something grey).
    # certainty = clip((sqrt(norm2) - 2) / 4, 0, 1) * (1 - src_skin); k = certainty * k + (1 - certainty)
    certainty = np.sqrt(norm2, out=norm2)
    certainty -= 2.0
    certainty /= 4.0
    np.minimum(np.maximum(certainty, 0.0, out=certainty), 1.0, out=certainty)
    certainty *= 1.0 - src_skin
    k *= certainty
    k += 1.0 - certainty
    # rest = src - k * skin
    skin_a *= k
    rest_a = np.subtract(src[1], skin_a, out=skin_a)
    skin_b *= k
    rest_b = np.subtract(src[2], skin_b, out=skin_b)
    # Neutral things (k = 0) take the template's tint when it has no colours of its own (sepia).
    # tint = k + (1 - k) * (1 - colourful)
    tint = 1.0 - k
    tint *= np.float32(1.0 - colourful)
    tint += k
    m = m.astype(np.float32)
    # out = tint * base + m @ rest
    out_a = base_a
    out_a *= tint
    out_a += m[0, 0] * rest_a
    out_a += m[0, 1] * rest_b
    out_b = base_b
    out_b *= tint
    out_b += m[1, 0] * rest_a
    out_b += m[1, 1] * rest_b
    return out_a, out_b


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
