"""Drawn art (ACG templates): a photographed face redrawn in the style of a drawn face marked by a box and 5 points.

dlib finds no anime faces and drawn faces have no 68 landmarks, so an admin marks a box and the five
key points. The photo's face is fitted to the drawn face and painted only where the drawn face is:
- the drawn face's region is found from its own flat skin colour (sampled on the cheeks), with the
  drawn eyes and mouth added (they must disappear wholly under the photo's, never peek out beside
  them) but never the hair: bangs, the face's drawn outline and everything outside stay as drawn;
- the drawing is measured first: its skin palette (`drawn_palette`: the base tone and the drawing's own
  shadow tone), its ink (`drawn_ink`: the colour and the stroke width of its outline) and the white
  highlights drawn in its eyes (`eye_highlights`);
- the photo's face is sized to the drawn face's width at the eyes and its depth from the eyes to the
  mouth (`fit_to_drawn`), so it fills the drawn face instead of sitting in it like a small cut-out;
- a photo turned differently from the drawn face is straightened (`straighten`: its landmarks made
  mirror-symmetric), and its features are moved whole, shapes kept, to where the drawing has its eyes,
  nose and mouth (`drawn_layout`: the drawing's proportions and pose, the person's features); the photo
  is bent there piecewise (align.piecewise_warp);
- its skin becomes the drawing's flat tones (soft cel shading between the base and the shadow tone, the
  shadow where the photo's face is in shade or the drawing had its own shadow), its mouth keeps its shape
  in the drawn colours, its eyes are drawn as the drawing draws eyes (`anime_eyes`: the person's eye
  outline at the drawn eye's size, the person's openness a little exaggerated, white, an iris in the
  drawn irises' colour, a pupil, a bold upper lid), and its brows, nose, mouth and jaw are drawn over it
  as ink lines of the drawing's colour and weight (`ink_layer`); the drawn eye highlights go back on top,
  at the same place in the new eyes;
- what the photo cannot cover of the drawn face (its hair or background fall there) is painted in the
  drawn skin's base tone, so no drawn eye or mouth peeks out beside the photo's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..faces import Face
from ..landmarks import JAW, LEFT_BROW, LEFT_EYE, MOUTH, RIGHT_BROW, RIGHT_EYE, estimate_pose, kps_from_landmarks
from ..util import Timings, crop_box, disc, fill_polygons, timed
from . import align, blend, colour, skin

# How far (CIELAB, per channel) a pixel may be from the drawn skin tone and still be drawn skin; the
# tone's own spread on the cheeks widens it (blush, soft shading).
DRAWN_SKIN_TOLERANCE = (9.0, 6.0, 6.0)
# The drawn eyes' and mouth's regions: ellipses around the key points, as fractions of the eye distance.
EYE_AXES = (0.36, 0.30)
MOUTH_AXES = (0.30, 0.20)

# The palette. The drawn skin's pixels are split into PALETTE_CLUSTERS clusters (CIELAB k-means): the
# most common is the base; a darker one is the drawing's shadow tone when it is at least MIN_SHADOW_STEP
# darker (less is JPEG noise on one flat tone) and at most MAX_SHADOW_STEP (more is hair or line caught in
# the skin), else the shadow is FALLBACK_SHADOW_STEP darker than the base (a soft anime shadow), towards
# the line colour.
PALETTE_REACH = 2.5  # how far from the cheek tone (in DRAWN_SKIN_TOLERANCE units) skin pixels are taken
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
# The drawn irises: pixels in the middle of the drawn eyes at least IRIS_DARKER darker than the skin, if
# they are at least IRIS_MIN_SHARE of it (else the eyes are drawn closed).
IRIS_DARKER = 30.0
IRIS_MIN_SHARE = 0.15
# The drawn eyes' own colours (besides the skin's, the lashes' and the irises'): near-white (at most
# EYE_WHITE_BELOW darker than the skin, chroma under EYE_WHITE_CHROMA) and within EYE_IRIS_NEAR (ΔE) of
# the drawn irises' colour.
EYE_WHITE_BELOW = 12.0
EYE_WHITE_CHROMA = 14.0
EYE_IRIS_NEAR = 25.0

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
# The ink lines (dlib's 68-point indices) and their weight relative to the drawing's outline: brows, nose
# and mouth are fine lines (the eyes are drawn whole, see anime_eyes).
INK_LINES = (
    ([17, 18, 19, 20, 21], 0.9),
    ([22, 23, 24, 25, 26], 0.9),
    ([32, 33, 34], 0.8),
    ([48, 60, 61, 62, 63, 64, 54], 1.0),
)
# The jaw is the drawing's own outline redrawn inside it: the outline's weight.
JAW_WEIGHT = 1.0
# The jaw's lower part only (from below the cheekbones round the chin): its upper ends run up beside the
# drawn hair and read as stray strokes there.
JAW_DRAWN = slice(3, 14)
# The jaw line is drawn only this many strokes inside the drawn face's edge, so it never doubles the
# drawing's own outline.
JAW_INSET = 2.0
# Lines are drawn this many times larger and scaled down, for sub-pixel weights and smooth edges.
INK_SUPERSAMPLE = 4

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
# Highlights are looked for in the middle of the drawn eyes' ellipses (this part of their size): the
# ellipses' edges reach the lids, lashes and the skin between them, whose light gaps are no highlights.
HIGHLIGHT_SEARCH = 0.7
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
# The brows are raised, when the enlarged eye reaches them, to BROW_CLEARANCE eye distances above its top.
BROW_CLEARANCE = 0.1
# The drawing's brow is taken to show above an eye when dark line pixels lie along the drawn face's edge
# (within BROW_EDGE eye distances outside it), BROW_BAND eye distances above the eye's point, across at
# least BROW_SPAN of the eye's width; the photo's brow is then not drawn.
BROW_EDGE = 0.06
BROW_BAND = (0.15, 0.7)
BROW_SPAN = 0.5
# ... nor when less than BROW_INSIDE of it lies in the drawn face (the rest under the hair).
BROW_INSIDE = 0.8
# Without drawn irises to sample (eyes drawn closed) the irises are the ink colour this far towards the skin.
IRIS_FROM_INK = 0.3

# Pose. A drawn face's turn is read from its nose tip's offset along the eye line (in eye distances):
# the nose tip stands NOSE_DEPTH eye distances in front of the eyes, so the offset is NOSE_DEPTH * tan(yaw).
NOSE_DEPTH = 0.55
# Sources turned less than POSE_TOLERANCE degrees away from the drawn face's pose keep their own
# landmarks (and asymmetries: part of a likeness); beyond it they are straightened.
POSE_TOLERANCE = 8.0
# dlib's 68 points mirrored left to right (each point's partner on the other half of the face).
MIRROR = np.array(
    [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
     26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
     27, 28, 29, 30, 35, 34, 33, 32, 31,
     45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
     54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
     64, 63, 62, 61, 60, 67, 66, 65],
)  # fmt: skip
# The nose bridge's points (27, 28, 29) move this share of the nose tip's way to the drawn nose (the rest:
# the eyes' way), so the bridge bends smoothly from between the eyes to the tip.
NOSE_BRIDGE_SHARE = (0.25, 0.5, 0.75)
# The bend towards the drawn layout is tried at these strengths, the first that folds nothing kept.
BEND_STRENGTHS = (1.0, 0.66, 0.33)

# The photo's face may be stretched to the drawn face's proportions by at most this ratio between its
# width and its height scale.
MAX_ANISOTROPY = 1.3


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


@dataclass
class Highlight:
    """A white highlight drawn in an eye: which eye (0: the image's left), its pixels' RGB and alpha in the
    crop, and its centre's offset from the drawn eye's key point."""

    eye: int
    rgb: np.ndarray | None
    alpha: np.ndarray
    offset: np.ndarray


def cheek_points(kps: np.ndarray) -> np.ndarray:
    """Two points on the cheeks, 60 % of the way from each eye to the mouth corner below it (drawn
    eyes are large and low: halfway would touch them)."""
    return np.array([kps[0] + 0.6 * (kps[3] - kps[0]), kps[1] + 0.6 * (kps[4] - kps[1])], dtype=np.float32)


def _cheek_mask(shape: tuple[int, int], kps: np.ndarray) -> np.ndarray:
    radius = max(2.0, 0.12 * float(np.linalg.norm(kps[1] - kps[0])))
    mask = np.zeros(shape, dtype=np.uint8)
    for x, y in cheek_points(kps):
        cv2.circle(mask, (round(float(x)), round(float(y))), round(radius), 1, -1)
    return mask


def skin_tone(lab: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The median LAB colour of small discs on both cheeks."""
    pixels = lab[_cheek_mask(lab.shape[:2], kps) > 0]
    if len(pixels) == 0:
        return np.median(lab.reshape(-1, 3), axis=0)
    return np.median(pixels, axis=0)


def _ellipse(mask: np.ndarray, centre: np.ndarray, axes: tuple[float, float], angle: float) -> None:
    cv2.ellipse(
        mask,
        (round(float(centre[0])), round(float(centre[1]))),
        (max(1, round(axes[0])), max(1, round(axes[1]))),
        angle,
        0,
        360,
        1,
        -1,
    )


def drawn_features(
    shape: tuple[int, int], kps: np.ndarray, eyes: tuple[int, ...] = (0, 1), mouth: bool = True, scale: float = 1.0
) -> np.ndarray:
    """The drawn eyes' and mouth's regions (uint8 0/1): ellipses around their key points (scaled by scale)."""
    eye_distance = scale * float(np.linalg.norm(kps[1] - kps[0]))
    angle = float(np.degrees(np.arctan2(*(kps[1] - kps[0])[::-1])))
    features = np.zeros(shape, dtype=np.uint8)
    for eye in eyes:
        _ellipse(features, kps[eye], (EYE_AXES[0] * eye_distance, EYE_AXES[1] * eye_distance), angle)
    if mouth:
        axes = (MOUTH_AXES[0] * eye_distance, MOUTH_AXES[1] * eye_distance)
        _ellipse(features, kps[3:].mean(axis=0), axes, angle)
    return features


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """The mask with every region it encloses filled (uint8 0/1)."""
    height, width = mask.shape
    padded = np.zeros((height + 2, width + 2), dtype=np.uint8)
    padded[1:-1, 1:-1] = mask
    outside = padded.copy()
    cv2.floodFill(outside, np.zeros((height + 4, width + 4), dtype=np.uint8), (0, 0), 1)
    return (mask | (1 - outside[1:-1, 1:-1])).astype(np.uint8)


def _drawn_eye_pixels(lab: np.ndarray, kps: np.ndarray, tone: np.ndarray, skin_distance: np.ndarray) -> np.ndarray:
    """The drawn eyes (uint8 0/1): in their ellipses, the pixels of an eye's colours (skin-like, dark
    lashes and iris, near-white, or near the irises' colour) joined to the marked eye point; not the
    strands of hair of another colour that cross the ellipse above the eye."""
    light, chroma = lab[..., 0], np.hypot(lab[..., 1], lab[..., 2])
    iris = drawn_iris(lab, kps, tone)
    eye_like = (
        (skin_distance < PALETTE_REACH)
        | (light < tone[0] - IRIS_DARKER)
        | ((light > tone[0] - EYE_WHITE_BELOW) & (chroma < EYE_WHITE_CHROMA))
    )
    if iris is not None:
        eye_like |= np.linalg.norm(lab - iris, axis=-1) < EYE_IRIS_NEAR
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    eyes = np.zeros(lab.shape[:2], dtype=np.uint8)
    for eye in (0, 1):
        ellipse = drawn_features(lab.shape[:2], kps, eyes=(eye,), mouth=False)
        _, labels = cv2.connectedComponents((ellipse & eye_like).astype(np.uint8), connectivity=8)
        middle = np.zeros_like(ellipse)
        point = (round(float(kps[eye][0])), round(float(kps[eye][1])))
        cv2.circle(middle, point, max(1, round(0.15 * eye_distance)), 1, -1)
        keep = np.unique(labels[(middle > 0) & (labels > 0)])
        eyes |= np.isin(labels, keep).astype(np.uint8)
    return eyes


def drawn_face_region(lab: np.ndarray, box: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The drawn face (uint8 0/1): its skin around the cheeks, with the eyes and mouth it encloses or
    that lie at the marked points, without hair or the drawn outline."""
    shape = lab.shape[:2]
    tone = skin_tone(lab, kps)
    cheeks = lab[_cheek_mask(shape, kps) > 0]
    # The cheeks' own spread (blush, soft shading), robustly, widens the tolerance up to twice its floor.
    spread = 2.5 * 1.4826 * np.median(np.abs(cheeks - tone), axis=0) if len(cheeks) > 3 else np.zeros(3)
    floor = np.asarray(DRAWN_SKIN_TOLERANCE)
    tolerance = np.clip(spread, floor, 2 * floor)
    distance = np.sqrt((((lab - tone) / tolerance) ** 2).sum(axis=-1))
    inner = np.zeros(shape, dtype=np.uint8)
    bx1, by1, bx2, by2 = np.round(box).astype(int)
    inner[max(0, by1) : by2, max(0, bx1) : bx2] = 1
    drawn_skin = (distance < 1.0).astype(np.uint8) & inner
    # The skin connected to the cheeks (not a hand or the neck of the same colour elsewhere in the box).
    _, labels = cv2.connectedComponents(drawn_skin, connectivity=8)
    inside = [(round(float(y)), round(float(x))) for x, y in cheek_points(kps)]
    seeds = [labels[y, x] for y, x in inside if 0 <= y < shape[0] and 0 <= x < shape[1]]
    face = np.isin(labels, [seed for seed in seeds if seed > 0]).astype(np.uint8)
    if not face.any():
        face = drawn_skin
    # The drawn eyes and mouth, whether or not the skin encloses them, but not the hair over them (the
    # hair's tone: the median of the box's top rows).
    top = lab[max(0, by1) : max(0, by1) + max(1, (by2 - by1) // 8), max(0, bx1) : bx2].reshape(-1, 3)
    hair_tone = np.median(top, axis=0) if len(top) else tone
    hair = np.sqrt((((lab - hair_tone) / floor) ** 2).sum(axis=-1)) < 1.5
    face |= drawn_features(shape, kps, eyes=()) & (~hair).astype(np.uint8)
    face |= _drawn_eye_pixels(lab, kps, tone, distance) & (~hair).astype(np.uint8)
    # Close the small gaps a drawn line or a highlight leaves, then fill what the face encloses.
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    radius = max(1, round(0.04 * eye_distance))
    face = cv2.morphologyEx(face, cv2.MORPH_CLOSE, disc(radius))
    return _fill_holes(face) & inner


def _axes(kps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A face's frame: the eyes' midpoint, the unit vector across (left eye to right eye) and down."""
    across = (kps[1] - kps[0]) / max(float(np.linalg.norm(kps[1] - kps[0])), 1e-6)
    return kps[:2].mean(axis=0), across, np.array([-across[1], across[0]], dtype=np.float32)


def drawn_width(region: np.ndarray, kps: np.ndarray) -> float:
    """The drawn face's width at the eyes, in pixels."""
    centre, across, down = _axes(kps)
    ys, xs = np.nonzero(region)
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    dx, dy = xs - centre[0], ys - centre[1]
    u, v = dx * across[0] + dy * across[1], dx * down[0] + dy * down[1]
    band = np.abs(v) < 0.25 * eye_distance
    if band.sum() <= 8:
        return 2.0 * eye_distance
    return float(np.percentile(u[band], 98) - np.percentile(u[band], 2))


def fit_to_drawn(source: Face, region: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The 2x3 affine map putting the photo's face into the drawn one: eyes' midpoint onto the drawn
    eyes' midpoint, eye line along the drawn eye line, the face's width at the eyes onto the drawn
    face's width (so the photo fills the drawn face) and its eyes-to-mouth depth onto the drawn one (the
    two scales at most MAX_ANISOTROPY apart), so drawn_layout has only small moves left to make."""
    src_centre, src_across, src_down = _axes(source.kps)
    dst_centre, dst_across, dst_down = _axes(kps)
    if source.landmarks is not None:
        src_width = abs(float(np.dot(source.landmarks[16] - source.landmarks[0], src_across)))
    else:
        src_width = 2.0 * float(np.linalg.norm(source.kps[1] - source.kps[0]))
    src_depth = float(np.dot(source.kps[3:].mean(axis=0) - src_centre, src_down))
    width = drawn_width(region, kps)
    depth = float(np.dot(kps[3:].mean(axis=0) - dst_centre, dst_down))
    sx, sy = width / max(src_width, 1.0), depth / max(src_depth, 1.0)
    mean = (sx * sy) ** 0.5
    sx = float(np.clip(sx, mean / MAX_ANISOTROPY**0.5, mean * MAX_ANISOTROPY**0.5))
    sy = float(np.clip(sy, mean / MAX_ANISOTROPY**0.5, mean * MAX_ANISOTROPY**0.5))
    # source frame -> (u, v) -> scaled -> drawn frame
    to_frame = np.stack([src_across, src_down])  # 2x2
    from_frame = np.stack([dst_across, dst_down], axis=1)  # 2x2
    linear = from_frame @ np.diag([sx, sy]) @ to_frame
    matrix = np.zeros((2, 3))
    matrix[:, :2] = linear
    matrix[:, 2] = dst_centre - linear @ src_centre
    return matrix


def stylise(image: np.ndarray, eye_distance: float) -> np.ndarray:
    """A photographed face smoothed towards drawn art: flat skin, edges kept."""
    return cv2.edgePreservingFilter(image, flags=cv2.RECURS_FILTER, sigma_s=max(5.0, 0.3 * eye_distance), sigma_r=0.25)


def _skin_pixels(lab: np.ndarray, region: np.ndarray, kps: np.ndarray, grow: float = 0.0) -> np.ndarray:
    """The drawn face's skin (bool): the region (grown by `grow` eye distances) without the drawn eyes and
    mouth, near the cheeks' tone."""
    tone = skin_tone(lab, kps)
    near = np.sqrt((((lab - tone) / np.asarray(DRAWN_SKIN_TOLERANCE)) ** 2).sum(axis=-1)) < PALETTE_REACH
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
    holes = _fill_holes(mask) - mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes)
    small = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] <= math.pi * radius * radius]
    return (mask | np.isin(labels, small)).astype(np.uint8)


def line_colour(lab: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The drawing's line colour (RGB): the median of the darkest pixels along the drawn face's edge."""
    return colour.from_lab(_line_lab(lab, region).reshape(1, 1, 3).astype(np.float32)).reshape(3)


def _line_lab(lab: np.ndarray, region: np.ndarray) -> np.ndarray:
    ring = (cv2.dilate(region, disc(3)) - cv2.erode(region, disc(1))) > 0
    pixels = lab[ring] if ring.sum() >= 16 else lab.reshape(-1, 3)
    dark = pixels[pixels[:, 0] <= np.percentile(pixels[:, 0], 5)]
    return np.median(dark, axis=0)


def drawn_ink(lab: np.ndarray, region: np.ndarray, kps: np.ndarray, palette: Palette) -> Ink:
    """The drawing's line colour and stroke width: the width of the drawn outline below the eyes, from the
    distance transform of its dark pixels (a stroke w pixels wide is (w + 1) / 2 deep at its middle)."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    line = _line_lab(lab, region)
    lowest, highest = (fraction * eye_distance for fraction in INK_WIDTH_RANGE)
    dark = (lab[..., 0] < line[0] + INK_DARK * (palette.base[0] - line[0])).astype(np.uint8)
    # The band just outside the drawn face, below the eyes: the jaw's and chin's outline.
    reach = max(2, math.ceil(highest) + 1)
    band = cv2.dilate(region, disc(reach)) & (1 - region)
    centre, _, down = _axes(kps)
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
    _, across, down = _axes(kps)
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
    _, across, down = _axes(kps)
    tone = skin_tone(lab, kps)
    skin_like = np.sqrt((((lab - tone) / np.asarray(DRAWN_SKIN_TOLERANCE)) ** 2).sum(axis=-1)) < 1.5
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
    scale = INK_SUPERSAMPLE
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


def drawn_brows(
    lab: np.ndarray, region: np.ndarray, kps: np.ndarray, shapes: list[EyeShape], palette: Palette, ink: Ink
) -> list[bool]:
    """Whether the drawing's brow above each eye (image-left first) shows just outside the drawn face: dark
    line pixels (as dark as the ink, INK_DARK) along the face's edge (within BROW_EDGE eye distances of it)
    between BROW_BAND eye distances above the eye's point, over at least BROW_SPAN of the eye's width. The
    photo's brow there would double it."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    line = colour.to_lab(np.asarray(ink.colour, dtype=np.uint8).reshape(1, 1, 3))[0, 0, 0]
    dark = lab[..., 0] < line + INK_DARK * (palette.base[0] - line)
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


def _share_inside(points: np.ndarray, region: np.ndarray) -> float:
    """The share of a polyline (sampled every half pixel) that lies in region."""
    samples = [np.linspace(a, b, max(2, int(2 * np.linalg.norm(b - a)))) for a, b in itertools.pairwise(points)]
    xy = np.round(np.concatenate(samples)).astype(int)
    height, width = region.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    hits = np.zeros(len(xy), dtype=bool)
    hits[inside] = region[xy[inside, 1], xy[inside, 0]] > 0
    return float(hits.mean())


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


def highlight_places(
    highlights: list[Highlight], kps: np.ndarray, drawn_sizes: np.ndarray, shapes: list[EyeShape]
) -> np.ndarray:
    """Where each drawn highlight's centre goes on the swapped face: the same place in the new eye as it
    had in the drawn eye, its offset from the eye's point (in the eyes' own frame, across and down) scaled
    from the drawn eye's size to the new eye's, kept inside the new eye."""
    _, drawn_across, drawn_down = _axes(kps)
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


def drawn_turn(kps: np.ndarray) -> float:
    """How far a drawn face is turned (degrees; positive: its nose tip towards the image's right eye), from
    its nose tip's offset along the eye line."""
    centre, across, _ = _axes(kps)
    offset = float(np.dot(kps[2] - centre, across)) / max(float(np.linalg.norm(kps[1] - kps[0])), 1e-6)
    return math.degrees(math.atan(offset / NOSE_DEPTH))


def photo_turn(landmarks: np.ndarray) -> float:
    """A photographed face's turn in drawn_turn's sense (estimate_pose's yaw is positive the other way)."""
    return -estimate_pose(landmarks).yaw


def straighten(landmarks: np.ndarray) -> np.ndarray:
    """The 68 landmarks of the same face seen from the front: made symmetric about the face's midline
    (each point and its mirror partner meet halfway, so each half is the mean of the person's two halves).
    The drawn face's own pose then comes from drawn_layout, which puts the features where it has them."""
    centre, across, down = _axes(kps_from_landmarks(landmarks))
    u, v = (landmarks - centre) @ across, (landmarks - centre) @ down
    middle = float(u.mean())
    u = middle + (u - u[MIRROR]) / 2
    v = (v + v[MIRROR]) / 2
    return (centre + np.outer(u, across) + np.outer(v, down)).astype(np.float32)


def drawn_layout(landmarks: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The landmarks with the face's features where the drawing has them: each eye (with its brow), the
    nose and the mouth moved whole, their shapes kept (the person's likeness), so their centres land on
    the drawn eyes, nose tip and mouth (drawn faces have their own proportions: eyes set wide and low, a
    small mouth far below). The nose bridge moves part of the way, between the eyes' and the tip's moves;
    the jaw stays where fit_to_drawn put it, filling the drawn face."""
    goals = landmarks.astype(np.float32).copy()
    eye_shifts = []
    for eye, brow, point in ((RIGHT_EYE, RIGHT_BROW, kps[0]), (LEFT_EYE, LEFT_BROW, kps[1])):
        shift = point - landmarks[eye].mean(axis=0)
        goals[eye + brow] += shift
        eye_shifts.append(shift)
    tip = kps[2] - landmarks[30]
    goals[30:36] += tip
    for index, share in zip(range(27, 30), NOSE_BRIDGE_SHARE, strict=True):
        goals[index] += (1 - share) * np.mean(eye_shifts, axis=0) + share * tip
    goals[MOUTH] += kps[3:].mean(axis=0) - (landmarks[48] + landmarks[54]) / 2
    return goals


def _bend(moved: np.ndarray, points: np.ndarray, goals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The moved photo bent so its landmarks land on goals (or as far towards them as it can without
    folding), and where they landed."""
    for strength in BEND_STRENGTHS:
        reached = points + strength * (goals - points)
        bent = align.piecewise_warp(moved, points, reached)
        if bent is not None:
            return bent, reached.astype(np.float32)
    return moved, points


def ink_layer(
    shape: tuple[int, int],
    landmarks: np.ndarray,
    width: float,
    region: np.ndarray | None = None,
    lines: tuple = INK_LINES,
) -> np.ndarray:
    """The ink lines' coverage (float 0..1): brows, eyelids (a bold upper lid and a hint of the lower), the
    base of the nose, the line between the lips and the jaw, `width` pixels wide (times each line's
    weight), inside region (the jaw JAW_INSET strokes inside its edge) when given."""
    scale = INK_SUPERSAMPLE
    height, width_px = shape
    points = (landmarks.astype(np.float64) + 0.5) * scale - 0.5

    def draw(lines: list[tuple[list[int], float]]) -> np.ndarray:
        big = np.zeros((height * scale, width_px * scale), dtype=np.uint8)
        for indices, weight in lines:
            polyline = np.round(points[indices]).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(big, [polyline], False, 255, max(1, round(width * weight * scale)), cv2.LINE_AA)
        return cv2.resize(big, (width_px, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0

    features, jaw = draw(list(lines)), draw([(JAW[JAW_DRAWN], JAW_WEIGHT)])
    if region is None:
        return np.maximum(features, jaw)
    inset = cv2.erode(region, disc(max(1, round(JAW_INSET * width))))
    return np.maximum(features * region, jaw * inset)


def ink_lines(
    image: np.ndarray,
    landmarks: np.ndarray,
    colour_rgb: np.ndarray,
    width: float,
    region: np.ndarray | None = None,
    lines: tuple = INK_LINES,
) -> None:
    """The face's features drawn over image as ink lines of the drawing (see ink_layer), in place."""
    alpha = ink_layer(image.shape[:2], landmarks, width, region, lines)
    ink = np.empty_like(image)
    ink[...] = np.asarray(colour_rgb, dtype=np.uint8)
    image[...] = blend.composite(image, ink, alpha)


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


def drawn_iris(lab: np.ndarray, kps: np.ndarray, base: np.ndarray) -> np.ndarray | None:
    """The drawn irises' colour (CIELAB): the median of the most colourful third of the dark pixels in the
    middle of the drawn eyes (the lashes and lid lines are as dark, but greyer); None when the eyes are
    closed lines."""
    middle = drawn_features(lab.shape[:2], kps, mouth=False, scale=HIGHLIGHT_SEARCH) > 0
    dark = lab[middle & (lab[..., 0] < base[0] - IRIS_DARKER)]
    if len(dark) < IRIS_MIN_SHARE * middle.sum():
        return None
    chroma = np.hypot(dark[:, 1], dark[:, 2])
    return np.median(dark[chroma >= np.percentile(chroma, 67)], axis=0).astype(np.float32)


def _skin_tones(palette: Palette, shade: np.ndarray, blush: np.ndarray) -> np.ndarray:
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
    skin_lab = _skin_tones(palette, np.maximum(cel_shade(light, eye_distance, weights), drawn_shadow), drawn_blush)
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


def swap_face_acg(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    stylised: bool = True,
    straightened: bool = True,
    trace: dict | None = None,
    timings: Timings | None = None,
) -> None:
    """Put the source face into a drawn target face (box and 5 key points), in place.

    stylised: redrawn in the drawing's palette and ink (else only recoloured); straightened: a source
    turned away from the drawn face's pose is straightened to it; trace, when given, receives the ink
    landmarks (canvas coordinates) and the drawing's measured palette, ink and highlights."""
    size = max(target.width, target.height)
    corners = np.array([target.box[:2], target.box[2:]], dtype=np.float32)
    x1, y1, x2, y2 = crop_box(np.concatenate([corners, target.kps]), size, canvas.shape, margin=0.1)
    offset = np.array([x1, y1], dtype=np.float32)
    crop = canvas[y1:y2, x1:x2]
    shape = crop.shape[:2]
    kps = target.kps - offset
    box = target.box - np.concatenate([offset, offset])
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    with timed(timings, "skin"):
        crop_lab = colour.to_lab(crop)
        region = drawn_face_region(crop_lab, box, kps)
        palette = drawn_palette(crop_lab, region, kps, _line_lab(crop_lab, region))
        drawn_shadow, drawn_blush = drawn_tone_maps(crop_lab, region, kps, palette)
    landmarks = source.landmarks
    with timed(timings, "warp"):
        goals = landmarks
        if landmarks is not None and straightened and abs(photo_turn(landmarks) - drawn_turn(kps)) > POSE_TOLERANCE:
            goals = straighten(landmarks)
        fitted = (
            source
            if goals is landmarks
            else dataclasses.replace(source, landmarks=goals, kps=kps_from_landmarks(goals))
        )
        matrix = fit_to_drawn(fitted, region, kps)
        moved = align.warp_into(photo, matrix, (shape[1], shape[0]))
        moved_lm = None
        if landmarks is not None:
            moved_lm = align.transform_points(matrix, landmarks)
            layout = drawn_layout(align.transform_points(matrix, goals), kps)
            moved, moved_lm = _bend(moved, moved_lm, layout)
    with timed(timings, "blend"):
        mask = region.astype(np.float32)
        weights = None
        if moved_lm is not None:
            # Never beyond the person's own face, nor their hair (no background or hair from the photo).
            outline = blend.face_outline(moved_lm, forehead=0.25)
            mask *= blend.fill(shape, [cv2.convexHull(outline)])
            src_skin = skin.skin_map(moved, moved_lm, outline, blend.face_size(moved_lm), template=False)
            mask *= 1.0 - src_skin.covered
            weights = src_skin.weights
    with timed(timings, "colour"):
        if weights is None or weights.sum() < 16:
            weights = _cheek_mask(shape, align.transform_points(matrix, source.kps)).astype(np.float32)
        if stylised:
            eyes = mouth = np.zeros(shape, np.float32)
            if moved_lm is not None:
                eyes, mouth = feature_masks(shape, moved_lm, eye_distance)
            moved = drawn_tones(
                stylise(moved, eye_distance),
                weights,
                palette,
                eyes=eyes,
                mouth=mouth,
                drawn_shadow=drawn_shadow,
                drawn_blush=drawn_blush,
                eye_distance=eye_distance,
            )
        else:
            moved = recolour(moved, weights, palette.base)
    with timed(timings, "blend"):
        # A narrow soft edge inside the drawn face: drawn art has crisp outlines, and they stay.
        feather = max(1.0, 0.02 * size)
        radius = max(1, round(feather))
        mask = cv2.erode(mask, disc(radius))
        mask = np.clip(cv2.GaussianBlur(mask, (0, 0), feather / 2), 0.0, 1.0) * region
        # Where the drawn face shows but the photo has no face to give (its hair, or past its cheek), the
        # drawn face is painted over in its own flat tones: a drawn eye never peeks out beside the photo's.
        base = region.astype(np.float32)
        base = np.clip(cv2.GaussianBlur(cv2.erode(base, disc(1)), (0, 0), 0.8), 0.0, 1.0) * region
        flat_lab = _skin_tones(palette, drawn_shadow, drawn_blush)
        drawn = blend.composite(crop, colour.from_lab(flat_lab.astype(np.float32)), base)
        result = blend.composite(drawn, moved, mask)
    with timed(timings, "ink"):
        ink = drawn_ink(crop_lab, region, kps, palette)
        drawn_sizes = drawn_eye_sizes(crop_lab, kps)
        highlights = eye_highlights(crop, crop_lab, kps, drawn_sizes) if stylised else []
        places = np.zeros((0, 2), dtype=np.float32)
        eyes_cover = lids = None
        ink_lm, shapes, lines = moved_lm, [], INK_LINES
        if stylised and moved_lm is not None:
            shapes = fit_eyes(anime_eye_shapes(moved_lm, drawn_sizes[:, 0]), region)
            eyes_cover, eyes_inside, lids = anime_eyes(result, shapes, palette, ink, region)
            ink_lm = raise_brows(moved_lm, shapes, eye_distance)
            # The drawing's own brows, where they show just above the drawn face, stay the brows; a brow
            # mostly under the hair would show as dashes between its strands.
            kept = drawn_brows(crop_lab, region, kps, shapes, palette, ink)
            hidden = [_share_inside(ink_lm[brow], region) < BROW_INSIDE for brow in (RIGHT_BROW, LEFT_BROW)]
            lines = tuple(line for i, line in enumerate(INK_LINES) if i >= 2 or not (kept[i] or hidden[i]))
            ink_lines(result, ink_lm, ink.colour, ink.width, region, lines)
            # The highlights over the lids (drawn highlights often cross the lash line), never beyond
            # the eye onto the skin.
            places = highlight_places(highlights, kps, drawn_sizes, shapes)
            within = cv2.dilate(eyes_inside, disc(max(1, round(LASH_WEIGHT * ink.width / 2))))
            painted = paint_highlights(result, highlights, kps, places, within)
            result = blend.composite(result, painted, region.astype(np.float32))
    if trace is not None:
        trace.update(
            palette=palette,
            ink=ink,
            highlights=[dataclasses.replace(h, rgb=None) for h in highlights],
            highlight_places=places + offset,
            region=(x1, y1, region),
            landmarks=None if moved_lm is None else moved_lm + offset,
            ink_landmarks=None if ink_lm is None else ink_lm + offset,
            ink_lines=lines,
            eyes=eyes_cover,
            lids=lids,
            eye_shapes=shapes,
        )
    canvas[y1:y2, x1:x2] = result
