"""Drawn art (ACG templates): a photographed face put into a face that only has a box and 5 points.

dlib finds no anime faces and drawn faces have no 68 landmarks, so an admin marks a box and the five
key points. The photo's face is fitted to the drawn face and painted only where the drawn face is:
- the drawn face's region is found from its own flat skin colour (sampled on the cheeks), with the
  drawn eyes and mouth added (they must disappear wholly under the photo's, never peek out beside
  them) but never the hair: bangs, the face's drawn outline and everything outside stay as drawn;
- the photo's face is sized to the drawn face's width at the eyes and its depth from the eyes to the
  chin (`fit_to_drawn`), so it fills the drawn face instead of sitting in it like a small cut-out;
- its colour becomes the drawn skin's (lightness and tint), its shading is flattened and its skin
  smoothed (the stylisation), so the photo reads as part of the drawing;
- what the photo cannot cover of the drawn face (its hair or background fall there) is painted in
  the drawn skin's flat tone, so no drawn eye or mouth peeks out beside the photo's.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..faces import Face
from ..landmarks import LEFT_EYE, RIGHT_EYE
from ..util import Timings, crop_box, disc, timed
from . import align, blend, colour, skin

# How far (CIELAB, per channel) a pixel may be from the drawn skin tone and still be drawn skin; the
# tone's own spread on the cheeks widens it (blush, soft shading).
DRAWN_SKIN_TOLERANCE = (9.0, 6.0, 6.0)
# The drawn eyes' and mouth's regions: ellipses around the key points, as fractions of the eye distance.
EYE_AXES = (0.36, 0.30)
MOUTH_AXES = (0.30, 0.20)
# How much of the photo's lightness variation survives (drawn skin is nearly flat), for the skin and for
# the darker features (eyes, brows, lips), which stay clearer.
STYLISED_CONTRAST = 0.55
FEATURE_CONTRAST = 0.8
# Cel shading (lightness relative to the photo's skin mean): below CEL_SHADOW_AT the shadow tone
# (CEL_SHADOW darker than the drawn skin), above CEL_HIGHLIGHT_AT a highlight (CEL_HIGHLIGHT lighter); the
# steps are CEL_SOFTNESS wide; below FEATURE_LIGHT a pixel is a feature (eye, brow, lip), not skin.
CEL_SHADOW_AT = -6.0
CEL_SHADOW = -7.0
CEL_HIGHLIGHT_AT = 9.0
CEL_HIGHLIGHT = 4.0
CEL_SOFTNESS = 4.0
FEATURE_LIGHT = -15.0
FEATURE_BRIGHT = 15.0
# The ink lines (dlib's 68-point indices): brows, upper eyelids, the base of the nose, between the lips.
BROW_LINES = ([17, 18, 19, 20, 21], [22, 23, 24, 25, 26])
EYELID_LINES = ([36, 37, 38, 39], [42, 43, 44, 45])
NOSE_LINE = [31, 32, 33, 34, 35]
LIP_LINES = ([48, 60, 61, 62, 63, 64, 54], [54, 65, 66, 67, 60])
# Their width, as a fraction of the eye distance.
INK_WIDTH = 0.03
# How much of the photo's own colour variation (around its skin colour) survives.
ACG_COLOUR_DETAIL = 0.5
# The photo's chin: when it has no 68 landmarks, this far below the mouth, in eye-to-mouth distances.
CHIN_BELOW_MOUTH = 0.75
# The photo's face may be stretched to the drawn face's proportions by at most this ratio between its
# width and its height scale.
MAX_ANISOTROPY = 1.3


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


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """The mask with every region it encloses filled (uint8 0/1)."""
    height, width = mask.shape
    padded = np.zeros((height + 2, width + 2), dtype=np.uint8)
    padded[1:-1, 1:-1] = mask
    outside = padded.copy()
    cv2.floodFill(outside, np.zeros((height + 4, width + 4), dtype=np.uint8), (0, 0), 1)
    return (mask | (1 - outside[1:-1, 1:-1])).astype(np.uint8)


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
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    angle = float(np.degrees(np.arctan2(*(kps[1] - kps[0])[::-1])))
    top = lab[max(0, by1) : max(0, by1) + max(1, (by2 - by1) // 8), max(0, bx1) : bx2].reshape(-1, 3)
    hair_tone = np.median(top, axis=0) if len(top) else tone
    hair = np.sqrt((((lab - hair_tone) / floor) ** 2).sum(axis=-1)) < 1.5
    features = np.zeros(shape, dtype=np.uint8)
    for eye in kps[:2]:
        _ellipse(features, eye, (EYE_AXES[0] * eye_distance, EYE_AXES[1] * eye_distance), angle)
    _ellipse(features, kps[3:].mean(axis=0), (MOUTH_AXES[0] * eye_distance, MOUTH_AXES[1] * eye_distance), angle)
    face |= features & (~hair).astype(np.uint8)
    # Close the small gaps a drawn line or a highlight leaves, then fill what the face encloses.
    radius = max(1, round(0.04 * eye_distance))
    face = cv2.morphologyEx(face, cv2.MORPH_CLOSE, disc(radius))
    return _fill_holes(face) & inner


def _axes(kps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A face's frame: the eyes' midpoint, the unit vector across (left eye to right eye) and down."""
    across = (kps[1] - kps[0]) / max(float(np.linalg.norm(kps[1] - kps[0])), 1e-6)
    return kps[:2].mean(axis=0), across, np.array([-across[1], across[0]], dtype=np.float32)


def drawn_extent(region: np.ndarray, kps: np.ndarray) -> tuple[float, float]:
    """The drawn face's width at the eyes and its depth from the eyes to the chin, in pixels."""
    centre, across, down = _axes(kps)
    ys, xs = np.nonzero(region)
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    if len(xs) < 16:
        return 2.0 * eye_distance, 1.6 * eye_distance
    dx, dy = xs - centre[0], ys - centre[1]
    u, v = dx * across[0] + dy * across[1], dx * down[0] + dy * down[1]
    band = np.abs(v) < 0.25 * eye_distance
    width = np.percentile(u[band], 98) - np.percentile(u[band], 2) if band.sum() > 8 else 2.0 * eye_distance
    return float(width), float(np.percentile(v, 99))


def fit_to_drawn(source: Face, region: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The 2x3 affine map putting the photo's face into the drawn one: eyes' midpoint onto the drawn
    eyes' midpoint, eye line along the drawn eye line, the face's width at the eyes onto the drawn
    face's width and its eyes-to-chin depth onto the drawn depth (the two scales at most
    MAX_ANISOTROPY apart), so the photo fills the drawn face, covering the drawn eyes wholly."""
    src_centre, src_across, src_down = _axes(source.kps)
    dst_centre, dst_across, dst_down = _axes(kps)
    if source.landmarks is not None:
        lm = source.landmarks
        src_width = abs(float(np.dot(lm[16] - lm[0], src_across)))
        src_depth = float(np.dot(lm[8] - src_centre, src_down))
    else:
        eye_distance = float(np.linalg.norm(source.kps[1] - source.kps[0]))
        src_width = 2.0 * eye_distance
        src_depth = float(np.dot(source.kps[3:].mean(axis=0) - src_centre, src_down)) * (1 + CHIN_BELOW_MOUTH)
    width, depth = drawn_extent(region, kps)
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


def cel_shade(light: np.ndarray) -> np.ndarray:
    """Skin lightness (relative to the skin's mean) in the drawing's few flat tones: a shadow tone, the
    base tone and a highlight, with narrow soft steps between them (soft cel shading); the darker
    features (eyes, brows, lips: below FEATURE_LIGHT; the whites of eyes and teeth: above FEATURE_BRIGHT)
    keep FEATURE_CONTRAST of their own shading."""
    skin = (1.0 - _step(light, CEL_SHADOW_AT)) * CEL_SHADOW + _step(light, CEL_HIGHLIGHT_AT) * CEL_HIGHLIGHT
    # The whites of the eyes and teeth stay light: a drawn open smile shows its teeth.
    skin = skin + np.maximum(light - FEATURE_BRIGHT, 0.0) * FEATURE_CONTRAST
    feature = light * FEATURE_CONTRAST
    return np.where(light < FEATURE_LIGHT, feature, skin).astype(np.float32)


def _step(values: np.ndarray, at: float) -> np.ndarray:
    """0 below at, 1 above, a smooth step CEL_SOFTNESS wide between."""
    t = np.clip((values - at) / CEL_SOFTNESS + 0.5, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def ink_lines(image: np.ndarray, landmarks: np.ndarray, colour_rgb: np.ndarray, width: float) -> None:
    """The face's features drawn over it as ink lines of the drawing (brows, upper eyelids, the base of the
    nose, the line between the lips), and a highlight in each eye, in place."""
    lines = [BROW_LINES[0], BROW_LINES[1], *EYELID_LINES, NOSE_LINE, *LIP_LINES]
    colour_bgr = tuple(int(c) for c in colour_rgb)
    scale = 4  # sub-pixel precision for the anti-aliased lines
    for line in lines:
        points = np.round(landmarks[line] * scale).astype(np.int32).reshape(-1, 1, 2)
        thickness = max(1, round(width * (0.7 if line is NOSE_LINE else 1.0)))
        cv2.polylines(image, [points], False, colour_bgr, thickness, cv2.LINE_AA, shift=2)
    eye_distance = float(np.linalg.norm(landmarks[RIGHT_EYE].mean(axis=0) - landmarks[LEFT_EYE].mean(axis=0)))
    radius = max(1, round(0.04 * eye_distance))
    for eye in (RIGHT_EYE, LEFT_EYE):
        centre = landmarks[eye].mean(axis=0) + np.array([-0.25, -0.35]) * radius * 2
        cv2.circle(image, tuple(int(v) for v in np.round(centre)), radius, (255, 255, 255), -1, cv2.LINE_AA)


def line_colour(lab: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The drawing's line colour (RGB): the median of the darkest pixels along the drawn face's edge."""
    ring = (cv2.dilate(region, disc(3)) - cv2.erode(region, disc(1))) > 0
    pixels = lab[ring] if ring.sum() >= 16 else lab.reshape(-1, 3)
    dark = pixels[pixels[:, 0] <= np.percentile(pixels[:, 0], 5)]
    return colour.from_lab(np.median(dark, axis=0).reshape(1, 1, 3).astype(np.float32)).reshape(3)


def recolour(moved: np.ndarray, weights: np.ndarray, tone: np.ndarray, *, stylised: bool) -> np.ndarray:
    """The photo's face in the drawn skin's colour: its skin's mean becomes the drawn tone; stylised, its
    shading becomes the drawing's flat cel tones (cel_shade); its tint halved."""
    lab = colour.to_lab(moved)
    mean = colour.weighted_mean(lab, weights)
    light = lab[..., 0] - mean[0]
    if stylised:
        light = cel_shade(light)
    lab[..., 0] = np.clip(tone[0] + light, 0, 100)
    lab[..., 1:] = tone[1:] + ACG_COLOUR_DETAIL * (lab[..., 1:] - mean[1:])
    return colour.from_lab(lab)


def swap_face_acg(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    stylised: bool = True,
    timings: Timings | None = None,
) -> None:
    """Put the source face into a drawn target face (box and 5 key points), in place."""
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
        tone = skin_tone(crop_lab, kps)
    with timed(timings, "warp"):
        matrix = fit_to_drawn(source, region, kps)
        moved = align.warp_into(photo, matrix, (shape[1], shape[0]))
    with timed(timings, "blend"):
        mask = region.astype(np.float32)
        weights = None
        if source.landmarks is not None:
            # Never beyond the person's own face, nor their hair (no background or hair from the photo).
            moved_lm = align.transform_points(matrix, source.landmarks)
            outline = blend.face_outline(moved_lm, forehead=0.25)
            mask *= blend.fill(shape, [cv2.convexHull(outline)])
            src_skin = skin.skin_map(moved, moved_lm, outline, blend.face_size(moved_lm), template=False)
            mask *= 1.0 - src_skin.covered
            weights = src_skin.weights
    with timed(timings, "colour"):
        if weights is None or weights.sum() < 16:
            weights = _cheek_mask(shape, align.transform_points(matrix, source.kps)).astype(np.float32)
        if stylised:
            moved = stylise(moved, eye_distance)
        moved = recolour(moved, weights, tone, stylised=stylised)
        if stylised and source.landmarks is not None:
            ink = line_colour(crop_lab, region)
            ink_lines(moved, align.transform_points(matrix, source.landmarks), ink, INK_WIDTH * eye_distance)
    with timed(timings, "blend"):
        # A narrow soft edge inside the drawn face: drawn art has crisp outlines, and they stay.
        feather = max(1.0, 0.02 * size)
        radius = max(1, round(feather))
        mask = cv2.erode(mask, disc(radius))
        mask = np.clip(cv2.GaussianBlur(mask, (0, 0), feather / 2), 0.0, 1.0) * region
        # Where the drawn face shows but the photo has no face to give (its hair, or past its cheek), the
        # drawn face is painted over in its own flat skin tone: a drawn eye never peeks out beside the
        # photo's eye.
        base = region.astype(np.float32)
        base = np.clip(cv2.GaussianBlur(cv2.erode(base, disc(1)), (0, 0), 0.8), 0.0, 1.0) * region
        flat = np.empty_like(crop)
        flat[...] = colour.from_lab(tone.reshape(1, 1, 3).astype(np.float32))
        drawn = blend.composite(crop, flat, base)
        canvas[y1:y2, x1:x2] = blend.composite(drawn, moved, mask)
