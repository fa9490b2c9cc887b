"""The drawn face: where it is and how the photo's face is fitted into it.

dlib finds no anime faces and drawn faces have no 68 landmarks, so an admin marks a box and the five key
points. The drawn face's region is found from its own flat skin colour (sampled on the cheeks,
`skin_tone`), with the drawn eyes and mouth added (they must disappear wholly under the photo's, never peek
out beside them) but never the hair: bangs, the face's drawn outline and everything outside stay as drawn
(`drawn_face_region`). The photo's face is sized to the drawn face's width at the eyes and its depth from
the eyes to the mouth (`fit_to_drawn`), so it fills the drawn face instead of sitting in it like a small
cut-out.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...faces import Face
from ...util import disc

# How far (CIELAB, per channel) a pixel may be from the drawn skin tone and still be drawn skin; the
# tone's own spread on the cheeks widens it (blush, soft shading).
DRAWN_SKIN_TOLERANCE = (9.0, 6.0, 6.0)
# The drawn eyes' and mouth's regions: ellipses around the key points, as fractions of the eye distance.
EYE_AXES = (0.36, 0.30)
MOUTH_AXES = (0.30, 0.20)
PALETTE_REACH = 2.5  # how far from the cheek tone (in DRAWN_SKIN_TOLERANCE units) skin pixels are taken

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
# The middle of the drawn eyes' ellipses (this part of their size), where the drawn irises are looked for:
# the ellipses' edges reach the lids, lashes and the skin between them.
IRIS_SEARCH = 0.7

# The photo's face may be stretched to the drawn face's proportions by at most this ratio between its
# width and its height scale.
MAX_ANISOTROPY = 1.3


def cheek_points(kps: np.ndarray) -> np.ndarray:
    """Two points on the cheeks, 60 % of the way from each eye to the mouth corner below it (drawn
    eyes are large and low: halfway would touch them)."""
    return np.array([kps[0] + 0.6 * (kps[3] - kps[0]), kps[1] + 0.6 * (kps[4] - kps[1])], dtype=np.float32)


def cheek_mask(shape: tuple[int, int], kps: np.ndarray) -> np.ndarray:
    """Small discs (uint8 0/1) on both cheeks, around cheek_points."""
    radius = max(2.0, 0.12 * float(np.linalg.norm(kps[1] - kps[0])))
    mask = np.zeros(shape, dtype=np.uint8)
    for x, y in cheek_points(kps):
        cv2.circle(mask, (round(float(x)), round(float(y))), round(radius), 1, -1)
    return mask


def skin_tone(lab: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The median LAB colour of small discs on both cheeks."""
    pixels = lab[cheek_mask(lab.shape[:2], kps) > 0]
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


def fill_holes(mask: np.ndarray) -> np.ndarray:
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
    cheeks = lab[cheek_mask(shape, kps) > 0]
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
    return fill_holes(face) & inner


def face_frame(kps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A face's frame: the eyes' midpoint, the unit vector across (left eye to right eye) and down."""
    across = (kps[1] - kps[0]) / max(float(np.linalg.norm(kps[1] - kps[0])), 1e-6)
    return kps[:2].mean(axis=0), across, np.array([-across[1], across[0]], dtype=np.float32)


def drawn_iris(lab: np.ndarray, kps: np.ndarray, base: np.ndarray) -> np.ndarray | None:
    """The drawn irises' colour (CIELAB): the median of the most colourful third of the dark pixels in the
    middle of the drawn eyes (the lashes and lid lines are as dark, but greyer); None when the eyes are
    closed lines."""
    middle = drawn_features(lab.shape[:2], kps, mouth=False, scale=IRIS_SEARCH) > 0
    dark = lab[middle & (lab[..., 0] < base[0] - IRIS_DARKER)]
    if len(dark) < IRIS_MIN_SHARE * middle.sum():
        return None
    chroma = np.hypot(dark[:, 1], dark[:, 2])
    return np.median(dark[chroma >= np.percentile(chroma, 67)], axis=0).astype(np.float32)


def drawn_width(region: np.ndarray, kps: np.ndarray) -> float:
    """The drawn face's width at the eyes, in pixels."""
    centre, across, down = face_frame(kps)
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
    src_centre, src_across, src_down = face_frame(source.kps)
    dst_centre, dst_across, dst_down = face_frame(kps)
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
