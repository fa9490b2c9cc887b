"""The eyes: drawn as the drawing draws eyes, with the drawing's own highlights put back.

The white highlights drawn in the drawing's eyes are found (`eye_highlights`) and the drawn eyes measured
(`drawn_eye_sizes`). The person's eyes are then drawn as the drawing draws eyes (`anime_eye_shapes`,
`fit_eyes`, `anime_eyes`): the person's eye outline at the drawn eye's size, the person's openness a little
exaggerated, white, an iris in the drawn irises' colour, a pupil, a bold upper lid. The drawn highlights go
back on top, at the same place in the new eyes (`highlight_places`, `paint_highlights`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...landmarks import LEFT_EYE, RIGHT_EYE
from ...shared import colour
from ...util import disc
from . import ink as _ink
from . import region as _region
from .palette import Ink, Palette
from .region import face_frame, skin_tone

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

# The eyes are drawn as the drawing draws them, in the person's shape: the person's eye outline scaled
# about its centre to the drawn eye's width (drawn_eye_sizes: how far the drawn eye reaches from its point
# before the skin begins, within EYE_MEASURE eye distances, kept within EYE_WIDTH_RANGE), its openness
# (height / width) the person's times EYE_OPENNESS_GAIN (a photo's eye is a slit beside a drawn one)
# within EYE_OPENNESS_RANGE, so a squinting person gets a narrower eye.
EYE_MEASURE = 0.4
EYE_WIDTH_RANGE = (0.3, 0.7)
EYE_HEIGHT_RANGE = (0.2, 0.6)
# The drawn eye ends where a run of skin this many eye distances long begins, measured along lines up to
# EYE_LINES eye distances either side of the eye's point.
EYE_SKIN_RUN = 0.06
EYE_LINES = 0.08
EYE_FAR_SIDE = 1.4
EYE_OPENNESS_GAIN = 2.0
EYE_OPENNESS_RANGE = (0.3, 0.9)
# Inside: the eye white, an iris IRIS_SIZE of the eye's width across and IRIS_TALL times as tall (clipped
# by the lids), shaded from its top (IRIS_SHADE of the drawn iris's lightness) to its bottom (IRIS_LIGHTER
# lighter, IRIS_VIVID times as colourful), a pupil PUPIL_SIZE of the iris (the iris's colour times
# PUPIL_DARK). The upper lid is a
# bold line LASH_WEIGHT times the drawing's ink weight, the lower a thin LOWER_LID_WEIGHT in a colour
# LOWER_LID_SOFT of the way from the ink to the skin.
EYE_WHITE = np.array([97.0, 0.0, 1.0], dtype=np.float32)
IRIS_SIZE = 0.65
IRIS_TALL = 1.25
IRIS_SHADE = 0.7
IRIS_LIGHTER = 25.0
IRIS_VIVID = 1.15
PUPIL_SIZE = 0.45
PUPIL_DARK = 0.45
LASH_WEIGHT = 2.0
LASH_WING = 3.0  # the upper lid's outer third
# The upper lid's shadow on the eye white: the skin's shadow tone at LID_SHADOW_STRENGTH, over the white's
# top LID_SHADOW of the eye's height.
LID_SHADOW = 0.35
LID_SHADOW_STRENGTH = 0.6
LOWER_LID_WEIGHT = 0.6
LOWER_LID_SOFT = 0.35
# The eyes are shrunk by EYE_SHRINK steps, down to EYE_MIN_SCALE, until EYE_INSIDE of each is in the
# drawn face.
EYE_SHRINK = 0.92
EYE_MIN_SCALE = 0.6
EYE_INSIDE = 0.95
# Without drawn irises to sample (eyes drawn closed) the irises are the ink colour this far towards the skin.
IRIS_FROM_INK = 0.3


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
    to its right one; down), its closed outline and its upper and lower lids (pixels), its width and
    height."""

    centre: np.ndarray
    across: np.ndarray
    down: np.ndarray
    outline: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    width: float
    height: float
    outer_first: bool = True  # the upper lid runs from the outer corner to the inner one


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

    def reach(start: np.ndarray, direction: np.ndarray) -> float:
        points = start + np.outer(steps, direction)
        xs = np.clip(np.round(points[:, 0]).astype(int), 0, width - 1)
        ys = np.clip(np.round(points[:, 1]).astype(int), 0, height - 1)
        outside = (points[:, 0] < 0) | (points[:, 0] >= width) | (points[:, 1] < 0) | (points[:, 1] >= height)
        skin_run = np.convolve((skin_like[ys, xs] | outside).astype(np.int32), np.ones(run, np.int32), "full")
        found = np.nonzero(skin_run[run - 1 :] >= run)[0]
        return float(steps[found[0]]) if len(found) else float(steps[-1])

    sizes = np.zeros((2, 2), dtype=np.float32)
    lines = np.linspace(-EYE_LINES, EYE_LINES, 5) * eye_distance
    for eye in (0, 1):
        point = kps[eye].astype(np.float64)
        widths = [_span(reach(point + t * down, across), reach(point + t * down, -across)) for t in lines]
        heights = [_span(reach(point + t * across, down), reach(point + t * across, -down)) for t in lines]
        sizes[eye] = np.median(widths), np.median(heights)
    sizes[:, 0] = np.clip(sizes[:, 0], *(f * eye_distance for f in EYE_WIDTH_RANGE))
    sizes[:, 1] = np.clip(sizes[:, 1], *(f * eye_distance for f in EYE_HEIGHT_RANGE))
    return sizes


def _span(one: float, other: float) -> float:
    """An eye's extent from its reach either side of its point: the nearer side's, and the farther side's up
    to EYE_FAR_SIDE times that (the hair beside an eye, or above it, is no skin either and would pass for
    more eye)."""
    near, far = min(one, other), max(one, other)
    return near + min(far, EYE_FAR_SIDE * near)


def _spline(points: np.ndarray, samples: int = 8) -> np.ndarray:
    """A closed Catmull-Rom curve through points (each span `samples` points, starting at points[0])."""
    count = len(points)
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    spans = []
    for i in range(count):
        p0, p1, p2, p3 = (points[(i + k) % count] for k in (-1, 0, 1, 2))
        spans.append(
            0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
        )
    return np.concatenate(spans).astype(np.float32)


def anime_eye_shapes(landmarks: np.ndarray, widths: np.ndarray) -> list[EyeShape]:
    """The person's eyes (landmarks 36-41, 42-47) drawn in the drawing's size: each outline scaled about
    its centre to the drawn eye's width (never smaller than the person's), its height the person's
    openness times EYE_OPENNESS_GAIN (within EYE_OPENNESS_RANGE) times that width: the person's shape of
    the lids, the drawing's size."""
    shapes = []
    samples = 8
    for indices, width, outer_first in ((RIGHT_EYE, widths[0], True), (LEFT_EYE, widths[1], False)):
        points = landmarks[indices].astype(np.float32)
        centre = points.mean(axis=0)
        across = (points[3] - points[0]) / max(float(np.linalg.norm(points[3] - points[0])), 1e-6)
        down = np.array([-across[1], across[0]], dtype=np.float32)
        u, v = (points - centre) @ across, (points - centre) @ down
        own_width = max(float(u[3] - u[0]), 1.0)
        own_height = max(float(v[4] + v[5] - v[1] - v[2]) / 2, 0.05 * own_width)
        new_width = max(float(width), own_width)
        new_height = new_width * float(np.clip(EYE_OPENNESS_GAIN * own_height / own_width, *EYE_OPENNESS_RANGE))
        u, v = u * new_width / own_width, v * new_height / own_height
        v -= (v.max() + v.min()) / 2  # centred on the eye's middle, as the drawn eye is on its point
        scaled = centre + np.outer(u, across) + np.outer(v, down)
        outline = _spline(scaled, samples)
        upper = outline[: 3 * samples + 1]
        lower = np.concatenate([outline[3 * samples :], outline[:1]])
        shapes.append(EyeShape(centre, across, down, outline, upper, lower, new_width, new_height, outer_first))
    return shapes


def fit_eyes(shapes: list[EyeShape], region: np.ndarray) -> list[EyeShape]:
    """The eyes shrunk about their centres (by EYE_SHRINK steps, to at most EYE_MIN_SCALE) until at least
    EYE_INSIDE of each lies in the drawn face: an eye cut off by the hair reads as a mistake."""
    fitted = []
    for shape in shapes:
        for _ in range(round(math.log(EYE_MIN_SCALE) / math.log(EYE_SHRINK))):
            filled = np.zeros(region.shape, dtype=np.uint8)
            cv2.fillPoly(filled, [np.round(shape.outline).astype(np.int32)], 1)
            if not filled.any() or (filled & region).sum() >= EYE_INSIDE * filled.sum():
                break
            c = shape.centre
            shape = EyeShape(
                c,
                shape.across,
                shape.down,
                c + EYE_SHRINK * (shape.outline - c),
                c + EYE_SHRINK * (shape.upper - c),
                c + EYE_SHRINK * (shape.lower - c),
                EYE_SHRINK * shape.width,
                EYE_SHRINK * shape.height,
            )
        fitted.append(shape)
    return fitted


def _rgb(lab: np.ndarray) -> np.ndarray:
    return colour.from_lab(np.asarray(lab, dtype=np.float32).reshape(1, 1, 3)).reshape(3).astype(np.float32)


def _eye_layers(
    shape: EyeShape, window: tuple[int, int, int, int], ink_width: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An eye's layers in window (x1, y1, x2, y2), anti-aliased (drawn INK_SUPERSAMPLE times larger):
    its inside, its iris and pupil (clipped by the lids), its upper and lower lids; and the iris's axes."""
    scale = _ink.INK_SUPERSAMPLE
    x1, y1, x2, y2 = window
    origin = np.array([x1, y1], dtype=np.float64)

    def big(points: np.ndarray) -> np.ndarray:
        return np.round((points - origin + 0.5) * scale - 0.5).astype(np.int32).reshape(-1, 1, 2)

    canvases = [np.zeros(((y2 - y1) * scale, (x2 - x1) * scale), dtype=np.uint8) for _ in range(5)]
    eye, iris, dark, lash, lower = canvases
    cv2.fillPoly(eye, [big(shape.outline)], 255, cv2.LINE_AA)
    angle = float(np.degrees(np.arctan2(shape.across[1], shape.across[0])))
    iris_w = 0.5 * IRIS_SIZE * shape.width
    iris_axes = np.array([iris_w, IRIS_TALL * iris_w])
    centre = tuple(int(c) for c in big(shape.centre).ravel())
    for canvas, axes in ((iris, iris_axes), (dark, PUPIL_SIZE * iris_axes)):
        size = tuple(max(1, round(a * scale)) for a in axes)
        cv2.ellipse(canvas, centre, size, angle, 0, 360, 255, -1, cv2.LINE_AA)
    # The lashes thicken towards the outer corner, as drawn eyes' do.
    third = max(2, len(shape.upper) // 3)
    wing = shape.upper[:third] if shape.outer_first else shape.upper[-third:]
    strokes = ((lash, shape.upper, LASH_WEIGHT), (lash, wing, LASH_WING), (lower, shape.lower, LOWER_LID_WEIGHT))
    for canvas, points, weight in strokes:
        cv2.polylines(canvas, [big(points)], False, 255, max(1, round(weight * ink_width * scale)), cv2.LINE_AA)
    eye, iris, dark, lash, lower = (
        cv2.resize(canvas, (x2 - x1, y2 - y1), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        for canvas in canvases
    )
    return eye, iris * eye, dark * eye, lash, lower, iris_axes


def anime_eyes(
    image: np.ndarray, shapes: list[EyeShape], palette: Palette, ink: Ink, region: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The eyes drawn over image (in place, inside region) as the drawing draws eyes: the white, an iris
    in the drawn irises' colour (darker at the top, lighter below), a darker pupil, clipped by the lids; a
    bold upper lid in the ink, a thin soft lower one. Returns their coverage, their insides and their
    upper lids (float 0..1 each)."""
    ink_lab = colour.to_lab(np.asarray(ink.colour, dtype=np.uint8).reshape(1, 1, 3))[0, 0].astype(np.float32)
    iris_lab = palette.iris if palette.iris is not None else ink_lab + IRIS_FROM_INK * (palette.base - ink_lab)
    white = _rgb(np.array([EYE_WHITE[0], *(EYE_WHITE[1:] + 0.2 * palette.base[1:])]))
    # Shades of the iris's own hue (the ink's would turn a blue iris brown).
    iris_top = _rgb(iris_lab * np.array([IRIS_SHADE, 1.0, 1.0]))
    iris_bottom = _rgb(np.clip(iris_lab * np.array([1.0, IRIS_VIVID, IRIS_VIVID]) + [IRIS_LIGHTER, 0, 0], -100, 90))
    pupil = _rgb(iris_lab * np.array([PUPIL_DARK, PUPIL_DARK, PUPIL_DARK]))
    lower_rgb = _rgb(ink_lab + LOWER_LID_SOFT * (palette.base - ink_lab))
    lid_rgb = _rgb(palette.shadow)
    ink_rgb = np.asarray(ink.colour, dtype=np.float32)
    height, width = image.shape[:2]
    cover = np.zeros((height, width), dtype=np.float32)
    insides = np.zeros((height, width), dtype=np.float32)
    lids = np.zeros((height, width), dtype=np.float32)
    for shape in shapes:
        pad = LASH_WEIGHT * ink.width + 2
        lo = np.floor(shape.outline.min(axis=0) - pad).astype(int)
        hi = np.ceil(shape.outline.max(axis=0) + pad).astype(int)
        x1, y1 = max(0, lo[0]), max(0, lo[1])
        x2, y2 = min(width, hi[0] + 1), min(height, hi[1] + 1)
        if x2 <= x1 or y2 <= y1:
            continue
        eye, iris, dark, lash, lower, iris_axes = _eye_layers(shape, (x1, y1, x2, y2), ink.width)
        ys, xs = np.mgrid[y1:y2, x1:x2]
        v = (xs - shape.centre[0]) * shape.down[0] + (ys - shape.centre[1]) * shape.down[1]
        t = np.clip((v + iris_axes[1]) / (2 * iris_axes[1]), 0.0, 1.0)[..., None]
        iris_rgb = iris_top + t * (iris_bottom - iris_top)
        # The upper lid's shadow on the white: its top LID_SHADOW of the eye's height, fading downwards.
        top = float(((shape.outline - shape.centre) @ shape.down).min())
        lid = np.clip(1.0 - (v - top) / max(LID_SHADOW * shape.height, 1.0), 0.0, 1.0)[..., None]
        white_rgb = white + LID_SHADOW_STRENGTH * lid * (lid_rgb - white)
        inside = region[y1:y2, x1:x2].astype(np.float32)
        out = image[y1:y2, x1:x2].astype(np.float32)
        for paint, alpha in ((white_rgb, eye), (iris_rgb, iris), (pupil, dark), (lower_rgb, lower), (ink_rgb, lash)):
            alpha = (alpha * inside)[..., None]
            out += alpha * (paint - out)
        image[y1:y2, x1:x2] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        cover[y1:y2, x1:x2] = np.maximum(cover[y1:y2, x1:x2], np.maximum(eye, np.maximum(lash, lower)) * inside)
        insides[y1:y2, x1:x2] = np.maximum(insides[y1:y2, x1:x2], eye * inside)
        lids[y1:y2, x1:x2] = np.maximum(lids[y1:y2, x1:x2], lash * inside)
    return cover, insides, lids


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
