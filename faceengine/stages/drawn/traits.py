"""The person's measurable traits, read from their photo: the shape of the face and its features (ratios of
dlib's 68 landmarks, `landmark_traits`).

Every ratio is taken within the face's own frame (along the eye line and across it) and, where it mixes
the two directions, corrected for the head's turn (a face turned by yaw looks narrower by cos(yaw)), so a
turned photo measures like a frontal one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...landmarks import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE, estimate_pose
from ...shared import blend, colour, skin
from ...util import crop_box, disc, fill_polygons, shrink

TRAIT_NAMES = (
    "jaw_to_cheek",  # the jaw's width (points 4-12) to the cheeks' (1-15)
    "chin_length",  # lower lip to chin, of the face's height (eyes to chin)
    "eye_spacing",  # the inner corners' distance to the outer corners'
    "eye_distance",  # the eyes' centres apart, to the cheeks' width
    "eye_width",  # an eye's width (corner to corner), to the cheeks' width
    "eye_openness",  # each eye's height to its width
    "eye_tilt",  # degrees the outer corners sit above the inner ones
    "brow_arch",  # how far a brow rises above its chord, to its length
    "brow_height",  # brows above the eyes, of the face's height
    "nose_length",  # nose root to its base, of the face's height
    "mouth_width",  # the mouth's corners to the cheeks' width
    "face_aspect",  # the cheeks' width to the face's height
)


def face_axes(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face's frame from its eyes: their midpoint, the unit vector across (image-left eye to the
    other) and down."""
    right, left = landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)
    across = (left - right) / max(float(np.linalg.norm(left - right)), 1e-6)
    return (right + left) / 2, across, np.array([-across[1], across[0]])


def landmark_traits(landmarks: np.ndarray) -> np.ndarray:
    """The face's shape as TRAIT_NAMES' ratios (float64), from dlib's 68 landmarks."""
    lm = np.asarray(landmarks, dtype=np.float64)
    centre, across, down = face_axes(lm)
    u, v = (lm - centre) @ across, (lm - centre) @ down
    turn = max(math.cos(math.radians(min(abs(estimate_pose(lm.astype(np.float32)).yaw), 60.0))), 0.5)
    height = max(float(v[8]), 1e-6)
    cheeks = max(float(u[15] - u[1]), 1e-6)
    openness = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        p = lm[eye]
        width = max(float(np.linalg.norm(p[3] - p[0])), 1e-6)
        openness.append((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / 2 / width)
    tilt = math.degrees(
        math.atan2(((v[39] - v[36]) + (v[42] - v[45])) / 2, ((u[39] - u[36]) + (u[45] - u[42])) / 2 / turn)
    )
    arches = []
    for brow in (RIGHT_BROW, LEFT_BROW):
        p = lm[brow]
        chord = p[-1] - p[0]
        length = max(float(np.linalg.norm(chord)), 1e-6)
        normal = np.array([-chord[1], chord[0]]) / length
        arches.append(-float(((p - p[0]) @ normal).min()) / length)
    eyes = RIGHT_EYE + LEFT_EYE
    brows = RIGHT_BROW + LEFT_BROW
    return np.array(
        [
            (u[12] - u[4]) / cheeks,
            (v[8] - v[57]) / height,
            (u[42] - u[39]) / max(float(u[45] - u[36]), 1e-6),
            (u[LEFT_EYE].mean() - u[RIGHT_EYE].mean()) / cheeks,
            ((u[39] - u[36]) + (u[45] - u[42])) / 2 / cheeks,
            float(np.mean(openness)) * turn,
            tilt,
            float(np.mean(arches)),
            (v[eyes].mean() - v[brows].mean()) / height,
            (v[33] - v[27]) / height,
            (u[54] - u[48]) / cheeks,
            cheeks / turn / height,
        ],
        dtype=np.float64,
    )


# The average face's TRAIT_NAMES ratios (dlib's 68-point mean face as published with OpenFace's
# alignment template, measured with landmark_traits): a person's trait is carried as how far it lies from
# these, so the drawing keeps its own proportions and takes the person's differences.
MEAN_TRAITS = np.array([0.818, 0.298, 0.429, 0.431, 0.171, 0.313, 3.86, 0.176, 0.155, 0.429, 0.390, 1.208])

# The photo is measured on a copy scaled so the face (blend.face_size) is WORK_FACE_PX across.
WORK_FACE_PX = 128
# A brow pixel: inside the brow's band (BROW_BAND of the face's size either side of its landmarks), darker
# than halfway from the skin to the band's darkest, and at least BROW_DARKER darker than the skin.
BROW_BAND = 0.06
BROW_DARKER = 8.0
# The iris: the eye's pixels (inside its six landmarks) darker than its IRIS_PERCENTILE-th percentile
# lightness, without the darkest PUPIL_PERCENTILE (pupil, lashes) and nothing lighter than the skin.
IRIS_PERCENTILE = 55
PUPIL_PERCENTILE = 15
# Facial hair: the share of the moustache's and the beard's zones (see hair_zones) darker by
# FACIAL_HAIR_DARKER than the cheeks' FACIAL_HAIR_PERCENTILE-th percentile lightness (the face's own
# shading, so a lip's or chin's shadow in a side light is not hair), above FACIAL_HAIR_FLOOR counted from
# zero.
FACIAL_HAIR_DARKER = 6.0
FACIAL_HAIR_PERCENTILE = 10
FACIAL_HAIR_FLOOR = 0.2
# Glasses: the share of the columns across the nose bridge (between the inner eye corners, from the
# eyes' line to NOSE_BRIDGE_DEPTH of the face down) that a horizontal edge of at least GLASSES_EDGE
# (CIELAB lightness per pixel, at the work size) crosses, and the same below each eye (its rim).
GLASSES_EDGE = 6.0
NOSE_BRIDGE_DEPTH = 0.1


@dataclass
class PersonTraits:
    """What the drawing takes from the person's photo (see the module docstring)."""

    shape: np.ndarray  # TRAIT_NAMES' ratios
    skin: np.ndarray  # CIELAB of the clean skin of the cheeks and nose
    iris: np.ndarray | None  # CIELAB of the irises (None: too small or hidden to tell)
    brow_thickness: float  # the brows' mean thickness, of the face's size
    brow_contrast: float  # how much darker the brows are than the skin (CIELAB L)
    moustache: float  # 0..1, how much of the upper lip is hair
    beard: float  # 0..1, how much of the chin and jaw below the mouth is hair
    glasses: float  # 0..1, how surely a frame crosses the nose bridge and runs under the eyes

    def deviation(self) -> np.ndarray:
        """How far the person's shape lies from the average face: ratios as ratios to the mean's (eye
        tilt, in degrees, as a difference)."""
        out = self.shape / MEAN_TRAITS - 1.0
        tilt = TRAIT_NAMES.index("eye_tilt")
        out[tilt] = self.shape[tilt] - MEAN_TRAITS[tilt]
        return out


def hair_zones(lm: np.ndarray, *, drawn: bool = False) -> list[np.ndarray]:
    """The moustache's zone (between the nose's base and the upper lip) and the beard's (below the lower
    lip, down the chin and the jaw, a little inside the jaw line, where the neck begins). Measured
    (drawn=False), they keep clear of the nostrils' shadow and the shadow right under the lower lip; drawn,
    they reach the nose and the lip."""
    lm = np.asarray(lm, dtype=np.float32)
    clear = 0.0 if drawn else 0.3
    upper = lm[31:36] + clear * (lm[[50, 50, 51, 52, 52]] - lm[31:36])
    moustache = np.concatenate([upper, lm[[54, 53, 52, 51, 50, 49, 48]]])
    jaw = lm[4:13] + 0.12 * (lm[30] - lm[4:13])
    below_lip = lm[[54, 55, 56, 57, 58, 59, 48]] + clear * (lm[8] - lm[57])
    beard = np.concatenate([below_lip, jaw])
    return [moustache.astype(np.float32), beard.astype(np.float32)]


def _edge_share(edges: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The share of the box's columns that a horizontal edge (edges: True where |d lightness / dy| is
    strong) crosses somewhere."""
    x1, y1, x2, y2 = box
    window = edges[max(0, y1) : max(0, y2), max(0, x1) : max(0, x2)]
    if window.size == 0:
        return 0.0
    return float(window.any(axis=0).mean())


def person_traits(photo: np.ndarray, landmarks: np.ndarray) -> PersonTraits:
    """The person's traits from their photo and its 68 landmarks (see PersonTraits)."""
    lm = np.asarray(landmarks, dtype=np.float32)
    size = blend.face_size(lm)
    x1, y1, x2, y2 = crop_box(lm, size, photo.shape, margin=0.25)
    scale = WORK_FACE_PX / max(size, 1.0)
    crop = np.ascontiguousarray(photo[y1:y2, x1:x2, :3])
    if scale < 1.0:
        crop = shrink(crop, scale)
    elif scale > 1.0:
        # Small faces are measured at the same size: the thresholds are in pixels of the work size.
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    factor = np.array([crop.shape[1] / (x2 - x1), crop.shape[0] / (y2 - y1)], dtype=np.float32)
    lm = (lm - [x1, y1]) * factor
    size *= float(factor.mean())
    lab = colour.to_lab(crop)
    light = lab[..., 0]
    core = fill_polygons(lab.shape[:2], skin.core_polygons(lm))
    features = cv2.dilate(fill_polygons(lab.shape[:2], skin.feature_polygons(lm)), disc(max(1, round(0.03 * size))))
    clean = (core & (1 - features)) > 0
    skin_lab = np.median(skin.robust_pixels(lab[clean if clean.sum() >= 16 else core > 0]), axis=0)
    # The brows: along each brow's landmarks, the pixels darker than halfway from the skin to the band's
    # darkest (a brow's own shadow below it is lighter than that; the skin model counts a brow as shaded
    # skin).
    thickness, contrast = [], []
    band = max(1, round(2 * BROW_BAND * size))
    for brow in (RIGHT_BROW, LEFT_BROW):
        along = np.zeros(lab.shape[:2], dtype=np.uint8)
        cv2.polylines(along, [np.round(lm[brow]).astype(np.int32).reshape(-1, 1, 2)], False, 1, band)
        values = light[along > 0]
        darkest = float(np.percentile(values, 5)) if len(values) else float(skin_lab[0])
        cut = min((float(skin_lab[0]) + darkest) / 2, float(skin_lab[0]) - BROW_DARKER)
        hair = (along > 0) & (light < cut)
        length = float(np.linalg.norm(np.diff(lm[brow], axis=0), axis=1).sum())
        thickness.append(hair.sum() / max(length, 1.0) / size)
        contrast.append(float(skin_lab[0] - np.median(light[hair])) if hair.sum() >= 4 else 0.0)
    # The irises: the eyes' darker pixels without the darkest.
    iris_pixels = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        inside = fill_polygons(lab.shape[:2], [lm[eye]]) > 0
        pixels = lab[inside]
        if len(pixels) < 6:
            continue
        low, high = np.percentile(pixels[:, 0], [PUPIL_PERCENTILE, IRIS_PERCENTILE])
        iris_pixels.append(pixels[(pixels[:, 0] >= low) & (pixels[:, 0] <= high) & (pixels[:, 0] < skin_lab[0])])
    iris_pixels = np.concatenate(iris_pixels) if iris_pixels else np.zeros((0, 3))
    iris = np.median(iris_pixels, axis=0) if len(iris_pixels) >= 6 else None
    # Facial hair: pixels over the moustache's and the beard's zones darker than the cheeks' darkest skin
    # (their FACIAL_HAIR_PERCENTILE-th percentile: the face's own shading) by FACIAL_HAIR_DARKER.
    cheek_dark = float(np.percentile(light[clean], FACIAL_HAIR_PERCENTILE)) if clean.any() else float(skin_lab[0])
    hair = light < cheek_dark - FACIAL_HAIR_DARKER
    shares = []
    for zone in hair_zones(lm):
        inside = fill_polygons(lab.shape[:2], [zone]) > 0
        share = float(hair[inside].mean()) if inside.any() else 0.0
        shares.append(float(np.clip((share - FACIAL_HAIR_FLOOR) / (1 - FACIAL_HAIR_FLOOR), 0.0, 1.0)))
    # Glasses: a frame's horizontal edges across the nose bridge and under each eye.
    edges = np.abs(cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3)) / 4.0 > GLASSES_EDGE
    eye_line = float(lm[RIGHT_EYE + LEFT_EYE, 1].mean())
    inner = sorted((float(lm[39, 0]), float(lm[42, 0])))
    gap = inner[1] - inner[0]
    bridge = (
        round(inner[0] + 0.2 * gap),
        round(eye_line - 0.05 * size),
        round(inner[1] - 0.2 * gap),
        round(eye_line + NOSE_BRIDGE_DEPTH * size),
    )
    rims = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        p = lm[eye]
        bottom = float(p[:, 1].max())
        rims.append(
            _edge_share(
                edges,
                (round(p[:, 0].min()), round(bottom + 0.04 * size), round(p[:, 0].max()), round(bottom + 0.16 * size)),
            )
        )
    glasses = min(_edge_share(edges, bridge), float(np.mean(rims)))
    return PersonTraits(
        shape=landmark_traits(landmarks),
        skin=skin_lab.astype(np.float32),
        iris=None if iris is None else iris.astype(np.float32),
        brow_thickness=float(np.mean(thickness)),
        brow_contrast=float(np.mean(contrast)),
        moustache=shares[0],
        beard=shares[1],
        glasses=glasses,
    )
