"""The eyes: the drawing's own eyes, re-proportioned to the person's, with their highlights kept crisp.

The drawn eyes are measured (`drawn_eye_sizes`) and lifted off the drawing whole (`drawn_eyes`: lashes,
white, iris, highlights). They are put back where the person's eyes go (`place_eyes`), changed as the
person's eyes differ from the average face's (`eye_change`): wider or narrower, tilted, a narrower eye
drawn with its upper lid brought down over the iris, as drawn eyes narrow (not squashed). So the eyes keep
the drawing's shape language and take the person's proportions, never a photo's eye or a generic oval.
The white highlights drawn in the drawing's eyes (`eye_highlights`) are painted again at whole pixels at
the same place in the new eyes (`highlight_places`, `paint_highlights`), as crisp as drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...shared import colour
from ...util import disc
from . import region as _region
from .palette import Palette
from .region import face_frame, fill_holes, skin_tone
from .traits import TRAIT_NAMES

# The drawn eye highlights: light, nearly grey blobs (lightness at least HIGHLIGHT_LIGHT, chroma at most
# HIGHLIGHT_CHROMA: small highlights in a JPEG of a small face are never pure white) inside the drawn eyes'
# ellipses, smaller than HIGHLIGHT_MAX_AREA eye distances squared, HIGHLIGHT_RING_CONTRAST lighter than
# what is around them and mostly ringed by dark (at least HIGHLIGHT_DARK_RING of the ring around them is
# HIGHLIGHT_RING_CONTRAST darker): the sparkle on an iris, not the eye white beside it.
HIGHLIGHT_LIGHT = 45.0
HIGHLIGHT_CHROMA = 25.0
HIGHLIGHT_MAX_AREA = 0.03
HIGHLIGHT_RING_CONTRAST = 25.0
HIGHLIGHT_DARK_RING = 0.6
# ... within this many eye distances of the marked eye point, and at most HIGHLIGHTS_PER_EYE of them (the
# largest). A highlight is compact: it fills at least HIGHLIGHT_FILL of its bounding box and is at most
# HIGHLIGHT_ASPECT times as long as it is wide (a sliver of eye white at the rim is neither).
HIGHLIGHT_RADIUS = 0.35
HIGHLIGHTS_PER_EYE = 2
HIGHLIGHT_FILL = 0.45
HIGHLIGHT_ASPECT = 2.5
# A highlight is a light blob's core: its pixels at most HIGHLIGHT_CORE below the lightest within
# HIGHLIGHT_PEAK eye distances.
HIGHLIGHT_CORE = 18.0
HIGHLIGHT_PEAK = 0.05
# ... and its centre at most HIGHLIGHT_REACH of the drawn eye's width from the eye's point across, and
# HIGHLIGHT_REACH_DOWN of its height up or down (the eye white shows at the rim below the iris).
HIGHLIGHT_REACH = 0.3
HIGHLIGHT_REACH_DOWN = 0.25
# A sparkle of at most this many pixels has its dark ring looked for a pixel further out.
HIGHLIGHT_SPARKLE = 6

# The drawn eyes' extent (drawn_eye_sizes): how far the drawn eye reaches from its point before the skin
# begins, within EYE_MEASURE eye distances, kept within EYE_WIDTH_RANGE and EYE_HEIGHT_RANGE.
EYE_MEASURE = 0.4
EYE_WIDTH_RANGE = (0.3, 0.7)
EYE_HEIGHT_RANGE = (0.2, 0.6)
# The drawn eye ends where a run of skin this many eye distances long begins, measured along lines up to
# EYE_LINES eye distances either side of the eye's point.
EYE_SKIN_RUN = 0.06
EYE_LINES = 0.08
EYE_FAR_SIDE = 1.4

# The person's eyes are the drawing's own (its lashes, white, iris and highlights, lifted off the drawing:
# drawn_eyes), re-proportioned to the person's (EyeChange): as much wider or narrower, more or less open,
# and tilted as the person's eyes differ from the average face's, times EYE_GAIN (a drawing carries a
# likeness by exaggerating it a little, as a caricature does), within these limits.
EYE_GAIN = 1.3
EYE_WIDTH_SCALE = (0.85, 1.18)
# Narrower eyes are drawn by bringing the upper lid down over the eye (at most EYE_FOLD of its height),
# as drawn eyes narrow: the iris stays round and the lid cuts it; wider ones are stretched a little.
EYE_FOLD = 0.2
EYE_TALLER = 1.12
EYE_TILT = 10.0  # degrees either way
# A drawn eye's pixels: in an ellipse EYE_REACH times the measured eye around its point, inside the drawn
# face, at least EYE_SKIN_DELTA (ΔE) from each of the skin's tones, joined to the eye's middle.
EYE_REACH = 1.3
EYE_SKIN_DELTA = 12.0
# The upper lash line: the first run of pixels from the eye's top darker than LASH_DARK of the way from the
# eye's darkest (its 5th percentile) to the skin.
LASH_DARK = 0.3
# An eye drawn less open than this (height to width) is drawn closed: no lid comes down over it.
EYE_CLOSED = 0.35
# Hair strands crossing or touching a drawn eye are no skin either and join its pixels: what is narrower
# than EYE_NECK of the eye's smaller measure across is cut off the eye's body, and only what lies within
# that reach of the body is kept (its lashes' tips), not a strand running on past it.
EYE_NECK = 0.1


@dataclass
class Highlight:
    """A white highlight drawn in an eye: which eye (0: the image's left), its pixels' RGB and alpha in the
    crop, and its centre's offset from the drawn eye's key point."""

    eye: int
    rgb: np.ndarray | None
    alpha: np.ndarray
    offset: np.ndarray


def eye_highlights(
    image: np.ndarray, lab: np.ndarray, kps: np.ndarray, sizes: np.ndarray | None = None
) -> list[Highlight]:
    """The white highlights drawn in the eyes: near-white blobs standing out from what is around them (a
    white top-hat: lighter than the picture opened with a disc as large as a highlight may be) within
    HIGHLIGHT_RADIUS of the marked eye points, compact (no slivers of eye white at the eye's rim), mostly
    ringed by dark (an iris), at most HIGHLIGHTS_PER_EYE per eye, the largest; with a soft edge (their
    anti-aliased rim). None when the eye shows none: a highlight is never invented. Only within
    HIGHLIGHT_REACH of the drawn eye's size (sizes: drawn_eye_sizes) from its point: the eye white at its
    rim is no highlight."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    if sizes is None:
        sizes = drawn_eye_sizes(lab, kps)
    _, across, down = face_frame(kps)
    light = lab[..., 0].astype(np.float32)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    largest = HIGHLIGHT_MAX_AREA * eye_distance**2
    opened = cv2.morphologyEx(light, cv2.MORPH_OPEN, disc(math.ceil(math.sqrt(largest) / 2) + 1))
    white = (light >= HIGHLIGHT_LIGHT) & (chroma <= HIGHLIGHT_CHROMA) & (light - opened >= HIGHLIGHT_RING_CONTRAST)
    rim = disc(max(1, round(0.03 * eye_distance)))
    # Each pixel's nearby lightest (a highlight beside a lighter eye white keeps its own core).
    peaks = cv2.dilate(light, disc(max(1, round(HIGHLIGHT_PEAK * eye_distance))))
    found = []
    for eye in (0, 1):
        near = np.zeros(lab.shape[:2], dtype=np.uint8)
        centre = (round(float(kps[eye][0])), round(float(kps[eye][1])))
        cv2.circle(near, centre, max(1, round(HIGHLIGHT_RADIUS * eye_distance)), 1, -1)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            (white & (near > 0)).astype(np.uint8), connectivity=4
        )
        blobs = []
        for k in range(1, count):
            # Its brightest cores: a highlight merges with the lighter parts of the iris around it.
            x, y, box_w, box_h = (int(stats[k, i]) for i in range(4))
            window = (slice(y, y + box_h), slice(x, x + box_w))
            part = labels[window] == k
            core = (part & (light[window] >= peaks[window] - HIGHLIGHT_CORE)).astype(np.uint8)
            cores, core_labels, core_stats, core_centroids = cv2.connectedComponentsWithStats(core, connectivity=4)
            for c in range(1, cores):
                area = int(core_stats[c, cv2.CC_STAT_AREA])
                if area > largest or area < HIGHLIGHT_FILL * core_stats[c, 2] * core_stats[c, 3]:
                    continue  # the eye white, or a curved sliver of it along the iris or the lid
                offset = core_centroids[c] + (x, y) - kps[eye]
                if abs(float(offset @ across)) > HIGHLIGHT_REACH * sizes[eye, 0]:
                    continue
                if abs(float(offset @ down)) > HIGHLIGHT_REACH_DOWN * sizes[eye, 1]:
                    continue
                blob = np.zeros(light.shape, dtype=np.uint8)
                blob[window] = core_labels == c
                points = np.stack(np.nonzero(blob)[::-1], axis=1).astype(np.float32)
                (_, _), (side_a, side_b), _ = cv2.minAreaRect(points)
                if max(side_a, side_b) + 1 > HIGHLIGHT_ASPECT * (min(side_a, side_b) + 1):
                    continue  # a straight sliver (a gap between lashes, a line of eye white)
                # The ring around it; beyond its anti-aliased edge for a sparkle of a few pixels (whose
                # edge pixels are half light).
                inner = cv2.dilate(blob, disc(1)) if area <= HIGHLIGHT_SPARKLE else blob
                ring = (cv2.dilate(inner, rim) - inner) > 0
                top, around = float(light[blob > 0].mean()), light[ring]
                if (around < top - HIGHLIGHT_RING_CONTRAST).mean() < HIGHLIGHT_DARK_RING:
                    continue
                blobs.append((area, blob, top, around, core_centroids[c] + (x, y)))
        for _, blob, top, around, centroid in sorted(blobs, key=lambda b: -b[0])[:HIGHLIGHTS_PER_EYE]:
            # The blob and its rim, as opaque as the rim is light between the iris and the highlight.
            grown = cv2.dilate(blob, disc(1)) > 0
            floor = float(np.median(around))
            alpha = np.clip((light - floor) / max(top - floor, 1.0), 0.0, 1.0) * grown
            found.append(Highlight(eye=eye, rgb=image, alpha=alpha.astype(np.float32), offset=centroid - kps[eye]))
    return found


@dataclass
class EyeShape:
    """An eye as it is drawn on the swapped face: its centre and frame (across: from its image-left corner
    to its right one; down), its visible outline (pixels), its width and its height before a lid comes down
    over it."""

    centre: np.ndarray
    across: np.ndarray
    down: np.ndarray
    outline: np.ndarray | None
    width: float
    height: float


def drawn_eye_sizes(lab: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The drawn eyes' widths and heights (pixels, one row per eye): how far the drawn eye (its lashes,
    iris, whites: anything but the drawn skin) reaches from the marked eye point either way, along and
    across the eye line, before the skin begins (a run of skin at least EYE_SKIN_RUN eye distances long; a
    sliver of eye white is shorter), the farther side trusted only so far (_span); the median over a few
    lines through the eye, within EYE_WIDTH_RANGE eye distances wide and EYE_HEIGHT_RANGE high."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    _, across, down = face_frame(kps)
    tone = skin_tone(lab, kps)
    skin_like = np.sqrt((((lab - tone) / np.asarray(_region.DRAWN_SKIN_TOLERANCE)) ** 2).sum(axis=-1)) < 1.5
    height, width = lab.shape[:2]
    steps = np.arange(0.0, EYE_MEASURE * eye_distance, 0.5)
    run = max(2, round(EYE_SKIN_RUN * eye_distance / 0.5))

    # Every ray at once: from each eye point, along each of a few lines through it, both ways along and
    # across the eye line; each reaches as far as the first run of skin begins.
    lines = np.linspace(-EYE_LINES, EYE_LINES, 5) * eye_distance
    starts, directions = [], []
    for eye in (0, 1):
        point = kps[eye].astype(np.float64)
        for offset_axis, axis in ((down, across), (across, down)):
            for sign in (1.0, -1.0):
                for t in lines:
                    starts.append(point + t * offset_axis)
                    directions.append(sign * axis)
    points = np.asarray(starts)[:, None, :] + np.asarray(directions)[:, None, :] * steps[None, :, None]
    xs = np.clip(np.round(points[..., 0]).astype(int), 0, width - 1)
    ys = np.clip(np.round(points[..., 1]).astype(int), 0, height - 1)
    outside = (points[..., 0] < 0) | (points[..., 0] >= width) | (points[..., 1] < 0) | (points[..., 1] >= height)
    values = (skin_like[ys, xs] | outside).astype(np.int32)
    if values.shape[1] >= run:
        sums = np.concatenate([np.zeros((len(values), 1), np.int32), np.cumsum(values, axis=1)], axis=1)
        windows = sums[:, run:] - sums[:, :-run]
        hit = windows >= run
        first = np.where(hit.any(axis=1), hit.argmax(axis=1), len(steps) - 1)
    else:
        first = np.full(len(values), len(steps) - 1)
    reaches = steps[first].reshape(2, 2, 2, len(lines))  # eye, (width, height), (one way, other), line
    sizes = np.zeros((2, 2), dtype=np.float32)
    for eye in (0, 1):
        for measure in (0, 1):
            sizes[eye, measure] = np.median(
                [
                    _span(float(a), float(b))
                    for a, b in zip(reaches[eye, measure, 0], reaches[eye, measure, 1], strict=True)
                ]
            )
    sizes[:, 0] = np.clip(sizes[:, 0], *(f * eye_distance for f in EYE_WIDTH_RANGE))
    sizes[:, 1] = np.clip(sizes[:, 1], *(f * eye_distance for f in EYE_HEIGHT_RANGE))
    return sizes


def _span(one: float, other: float) -> float:
    """An eye's extent from its reach either side of its point: the nearer side's, and the farther side's up
    to EYE_FAR_SIDE times that (the hair beside an eye, or above it, is no skin either and would pass for
    more eye)."""
    near, far = min(one, other), max(one, other)
    return near + min(far, EYE_FAR_SIDE * near)


@dataclass
class DrawnEye:
    """A drawn eye lifted off the drawing: its marked point, the eye line's angle (radians), its measured
    width and height (pixels), and an upright patch of it (the eye line level, the point in its middle):
    its RGB, its coverage and how much each of its pixels is the drawn skin (float32 0..1 each); its upper
    lash line (a parabola y(x) in the patch, None when none was found) and the lash's thickness, and its
    lower edge (a parabola)."""

    point: np.ndarray
    angle: float
    width: float
    height: float
    rgb: np.ndarray
    alpha: np.ndarray
    skin: np.ndarray
    lash: np.ndarray | None = None
    lash_width: float = 0.0
    bottom: np.ndarray | None = None


@dataclass
class EyeChange:
    """How the person's eyes differ from the average face's, as a drawn eye is changed (see EYE_GAIN):
    its width scaled, opened taller, its upper lid brought down over this share of its height, its outer
    corners raised by tilt degrees."""

    scale: float = 1.0
    taller: float = 1.0
    fold: float = 0.0
    tilt: float = 0.0


def eye_change(deviation: np.ndarray) -> EyeChange:
    """The change of the drawn eyes for a person whose shape deviates so from the average face
    (PersonTraits.deviation)."""
    width, openness, tilt = (deviation[TRAIT_NAMES.index(n)] for n in ("eye_width", "eye_openness", "eye_tilt"))
    return EyeChange(
        scale=float(np.clip(1.0 + EYE_GAIN * width, *EYE_WIDTH_SCALE)),
        taller=float(np.clip(1.0 + EYE_GAIN * openness, 1.0, EYE_TALLER)),
        fold=float(np.clip(-EYE_GAIN * openness, 0.0, EYE_FOLD)),
        tilt=float(np.clip(EYE_GAIN * tilt, -EYE_TILT, EYE_TILT)),
    )


def _rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def _columns_curve(xs: list[int], ys: list[int], half: float) -> np.ndarray | None:
    """A parabola y(x - half) through the columns' points (least squares, outliers past 2 pixels of a first
    fit dropped); None from fewer than 3 points."""
    if len(xs) < 3:
        return None
    x, y = np.asarray(xs, dtype=np.float64) - half, np.asarray(ys, dtype=np.float64)
    coeffs = np.polyfit(x, y, 2)
    near = np.abs(np.polyval(coeffs, x) - y) <= 2.0
    if near.sum() >= 3:
        coeffs = np.polyfit(x[near], y[near], 2)
    return coeffs


def drawn_eyes(
    image: np.ndarray, lab: np.ndarray, kps: np.ndarray, sizes: np.ndarray, region: np.ndarray, palette: Palette
) -> list[DrawnEye]:
    """The drawn eyes lifted off the drawing (image, its CIELAB lab): each eye's pixels (EYE_REACH around
    its point, in the drawn face, away from the skin's tones by EYE_SKIN_DELTA, joined to the eye's middle,
    holes filled: its white and highlights too) below its upper lash line (a drawn eye ends at its lashes:
    what lies above them is hair or brow), cut out upright."""
    tones = [palette.base, palette.shadow] + ([] if palette.blush is None else [palette.blush])
    angle = math.atan2(float(kps[1][1] - kps[0][1]), float(kps[1][0] - kps[0][0]))
    eyes = []
    for eye in (0, 1):
        width, height = (float(v) for v in sizes[eye])
        half = math.ceil(EYE_REACH * max(width, height) / 2) + 2
        # The upright patch: patch pixel (x, y) is the crop's point + R(angle) (x - half, y - half).
        to_crop = np.zeros((2, 3))
        to_crop[:, :2] = _rotation(angle)
        to_crop[:, 2] = kps[eye] - to_crop[:, :2] @ [half, half]
        side = 2 * half + 1
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        rgb = cv2.warpAffine(image, to_crop, (side, side), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        patch_lab = cv2.warpAffine(lab, to_crop, (side, side), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        inside = cv2.warpAffine(region.astype(np.float32), to_crop, (side, side), flags=flags) > 0.5
        skin_delta = np.min(np.stack([np.linalg.norm(patch_lab - tone, axis=-1) for tone in tones]), axis=0)
        ellipse = np.zeros((side, side), dtype=np.uint8)
        axes = (max(1, round(EYE_REACH * width / 2)), max(1, round(EYE_REACH * height / 2)))
        cv2.ellipse(ellipse, (half, half), axes, 0, 0, 360, 1, -1)
        candidate = (ellipse > 0) & inside & (skin_delta > EYE_SKIN_DELTA)
        candidate = cv2.morphologyEx(candidate.astype(np.uint8), cv2.MORPH_CLOSE, disc(1))
        _, labels = cv2.connectedComponents(candidate, connectivity=8)
        middle = np.zeros_like(ellipse)
        cv2.circle(middle, (half, half), max(1, round(0.2 * height)), 1, -1)
        keep = np.unique(labels[(middle > 0) & (labels > 0)])
        mask = fill_holes(np.isin(labels, keep[keep > 0]).astype(np.uint8)) & ellipse
        neck = round(EYE_NECK * min(width, height))
        if neck >= 1:
            body = cv2.morphologyEx(mask, cv2.MORPH_OPEN, disc(neck))
            _, parts = cv2.connectedComponents(body, connectivity=8)
            held = np.unique(parts[(middle > 0) & (parts > 0)])
            if len(held):
                body = np.isin(parts, held).astype(np.uint8)
                mask &= cv2.dilate(body, disc(neck + 1))
        # The upper lash line: the topmost dark pixel of each column across the eye, a parabola through them.
        # (As dark as the eye's darkest ink: hair strands above the eye are often dark, never as dark.)
        darkest = float(np.percentile(patch_lab[..., 0][mask > 0], 5)) if mask.any() else 0.0
        dark = (patch_lab[..., 0] < darkest + LASH_DARK * (float(palette.base[0]) - darkest)) & (mask > 0)
        span = range(max(0, round(half - 0.55 * width)), min(side, round(half + 0.55 * width) + 1))
        xs, tops, runs, bottoms, bottom_xs = [], [], [], [], []
        for x in span:
            rows = np.nonzero(dark[: half + 1, x])[0]
            if len(rows):
                top = int(rows[0])
                end = top
                while end + 1 < side and dark[end + 1, x]:
                    end += 1
                xs.append(x)
                tops.append(top)
                runs.append(end - top + 1)
            filled = np.nonzero(mask[:, x])[0]
            if len(filled):
                bottom_xs.append(x)
                bottoms.append(int(filled[-1]))
        lash = _columns_curve(xs, tops, half)
        if lash is not None:
            ys_grid, xs_grid = np.mgrid[0:side, 0:side]
            mask &= (ys_grid >= np.polyval(lash, xs_grid - half) - 1.0).astype(np.uint8)
        alpha = np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.6), 0.0, 1.0) * inside
        skin_like = np.clip(1.0 - (skin_delta - EYE_SKIN_DELTA / 2) / EYE_SKIN_DELTA, 0.0, 1.0)
        # The drawn skin caught along the eye's edge stays behind: the person's skin (its own tone and
        # shading) meets the lashes, not a pale ring of the drawing's skin. (Inside, an eye white may be
        # as light as a pale skin: it stays.)
        rim = alpha - cv2.erode(alpha, disc(2))
        alpha = alpha * (1.0 - skin_like * np.clip(rim * 2.0, 0.0, 1.0))
        eyes.append(
            DrawnEye(
                point=kps[eye].astype(np.float64),
                angle=angle,
                width=width,
                height=height,
                rgb=rgb,
                alpha=alpha.astype(np.float32),
                skin=skin_like.astype(np.float32),
                lash=lash,
                lash_width=float(np.median(runs)) if runs else 0.0,
                bottom=_columns_curve(bottom_xs, bottoms, half),
            )
        )
    return eyes


def _fold(eye: DrawnEye, fold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The upright eye (RGB, coverage, skin) with its upper lid brought down over `fold` of its height
    (between its lash line and its lower edge, column by column): the lash line and what is above it
    move down; below the lash line the eye stays where it was, so the lid cuts the iris instead of
    squashing it. An eye drawn closed (no lash line, or hardly open) stays as it is."""
    if fold <= 0.0 or eye.lash is None or eye.bottom is None or eye.height < EYE_CLOSED * eye.width:
        return eye.rgb, eye.alpha, eye.skin
    side = eye.alpha.shape[0]
    half = (side - 1) / 2
    columns = np.arange(side, dtype=np.float64) - half
    lash = np.polyval(eye.lash, columns)
    opening = np.clip(np.polyval(eye.bottom, columns) - lash, 0.0, None)
    across = np.abs(columns) <= 0.6 * eye.width
    shift = np.where(across, fold * opening, 0.0).astype(np.float32)
    shift = cv2.GaussianBlur(shift.reshape(1, -1), (0, 0), 1.0).ravel()
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    limit = (lash + eye.lash_width).astype(np.float32) + shift
    moved = ys <= limit[None, :]
    map_y = np.where(moved, ys - shift[None, :], ys).astype(np.float32)
    rgb = cv2.remap(eye.rgb, xs, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.remap(eye.alpha, xs, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    skin_like = cv2.remap(eye.skin, xs, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return rgb, alpha, skin_like


def place_eyes(
    image: np.ndarray,
    eyes: list[DrawnEye],
    centres: np.ndarray,
    change: EyeChange,
    region: np.ndarray,
    skin_shift: np.ndarray | None = None,
) -> tuple[list[EyeShape], np.ndarray]:
    """The drawn eyes painted over image (in place, inside region) at centres, re-proportioned by change
    (the image-left eye's outer corner is on its left: tilt turns the two eyes opposite ways); the drawn
    skin caught at their edges moved by skin_shift (CIELAB: the person's tone, see palette.person_palette).
    Returns each eye's shape as drawn and their coverage (float32 0..1)."""
    height, width = image.shape[:2]
    cover = np.zeros((height, width), dtype=np.float32)
    shapes = []
    for index, eye in enumerate(eyes):
        rgb, alpha, skin_like = _fold(eye, change.fold)
        if skin_shift is not None and np.abs(skin_shift).max() > 0.5:
            lab = colour.to_lab(rgb)
            rgb = colour.from_lab((lab + skin_like[..., None] * skin_shift).astype(np.float32))
        half = (alpha.shape[0] - 1) / 2
        turn = eye.angle + (1 if index == 0 else -1) * math.radians(change.tilt)
        linear = _rotation(turn) @ np.diag([change.scale, change.taller])
        to_crop = np.zeros((2, 3))
        to_crop[:, :2] = linear
        to_crop[:, 2] = centres[index] - linear @ [half, half]
        reach = np.abs(linear).sum(axis=1) * (half + 1)
        x1, y1 = (max(0, math.floor(c - r)) for c, r in zip(centres[index], reach, strict=True))
        x2, y2 = (min(n, math.ceil(c + r) + 1) for c, r, n in zip(centres[index], reach, (width, height), strict=True))
        across = _rotation(turn) @ [1.0, 0.0]
        down = np.array([-across[1], across[0]])
        eye_w, eye_h = eye.width * change.scale, eye.height * change.taller
        top = -eye_h / 2 + change.fold * eye_h
        outline = np.array(
            [
                centres[index]
                + (eye_w / 2) * math.cos(t) * across
                + ((eye_h / 2 if math.sin(t) > 0 else -top) * math.sin(t)) * down
                for t in np.linspace(0, 2 * math.pi, 24, endpoint=False)
            ],
            dtype=np.float32,
        )
        shapes.append(
            EyeShape(
                centres[index].astype(np.float32),
                across.astype(np.float32),
                down.astype(np.float32),
                outline,
                eye_w,
                eye_h,
            )
        )
        if x2 <= x1 or y2 <= y1:
            continue
        window = to_crop.copy()
        window[:, 2] -= [x1, y1]
        size = (x2 - x1, y2 - y1)
        moved = cv2.warpAffine(rgb, window, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        a = cv2.warpAffine(alpha, window, size, flags=cv2.INTER_LINEAR) * region[y1:y2, x1:x2]
        out = image[y1:y2, x1:x2].astype(np.float32)
        out += a[..., None] * (moved.astype(np.float32) - out)
        image[y1:y2, x1:x2] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        cover[y1:y2, x1:x2] = np.maximum(cover[y1:y2, x1:x2], a)
    return shapes, cover


def highlight_places(
    highlights: list[Highlight], kps: np.ndarray, drawn_sizes: np.ndarray, shapes: list[EyeShape]
) -> np.ndarray:
    """Where each drawn highlight's centre goes on the swapped face: the same place in the new eye as it
    had in the drawn eye, its offset from the eye's point (in the eyes' own frame, across and down) scaled
    from the drawn eye's size to the new eye's, kept inside the new eye."""
    _, drawn_across, drawn_down = face_frame(kps)
    places = []
    for highlight in highlights:
        shape = shapes[highlight.eye]
        drawn_width, drawn_height = (float(d) for d in drawn_sizes[highlight.eye])
        u = float(np.dot(highlight.offset, drawn_across)) * shape.width / max(drawn_width, 1.0)
        v = float(np.dot(highlight.offset, drawn_down)) * shape.height / max(drawn_height, 1.0)
        u = float(np.clip(u, -0.35 * shape.width, 0.35 * shape.width))
        v = float(np.clip(v, -0.35 * shape.height, 0.35 * shape.height))
        places.append(shape.centre + u * shape.across + v * shape.down)
    return np.array(places, dtype=np.float32).reshape(-1, 2)


def paint_highlights(
    image: np.ndarray,
    highlights: list[Highlight],
    drawn_kps: np.ndarray,
    places: np.ndarray,
    within: np.ndarray | None = None,
) -> np.ndarray:
    """The drawn highlights painted over image, as drawn, each moved so its centre lands on its place (whole
    pixels), only where `within` (float 0..1) when given."""
    out = image.astype(np.float32)
    size = (image.shape[1], image.shape[0])
    for highlight, place in zip(highlights, places, strict=True):
        # Whole pixels: the highlight's pixels stay exactly as drawn, never blurred by a resampling.
        shift = np.round(place - (drawn_kps[highlight.eye] + highlight.offset))
        move = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
        alpha = cv2.warpAffine(highlight.alpha, move, size, flags=cv2.INTER_NEAREST)
        if within is not None:
            alpha = alpha * within
        rgb = cv2.warpAffine(highlight.rgb, move, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
        out += alpha[..., None] * (rgb.astype(np.float32) - out)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
