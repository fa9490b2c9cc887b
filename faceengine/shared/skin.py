"""Where a face shows skin: a colour model of each face's own skin, and what covers the face.

A swap may only paint where the template shows skin (hair, hands, glasses or objects over the face stay
the template's), and only with the source's skin (the source's own hair over its forehead must not come
along). Both need to know, per pixel of a face crop, whether it is skin.

The model is learnt from the face itself, so it works for any skin tone, light, grayscale or sepia:
- skin: the pixels of the cheeks and the nose bridge (`core_polygons`), a robust Gaussian in CIELAB;
- not skin: the pixels of a ring just outside the face's outline (hair, background, collar), clustered
  into a few Gaussians; clusters that look like the skin (neck, ears, a bald head) are dropped.
A pixel is skin when the skin Gaussian explains it better than every non-skin cluster. The eyes, brows,
mouth and nostrils are not skin-coloured but belong to the face: `occluders` keeps only the non-skin
regions that reach the face from outside (hair over a forehead, a hand over a cheek) or big ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..landmarks import LEFT_BROW, LEFT_EYE, MOUTH, RIGHT_BROW, RIGHT_EYE
from ..util import dilate, disc, fill_polygons, shrink
from .colour import to_lab

# Spread floors of the skin Gaussian (CIELAB units): shading moves lightness a lot, colour little.
SKIN_FLOOR = np.array([7.0, 2.5, 2.5])
# The same for the non-skin clusters (hair and background are often flat colours).
OTHER_FLOOR = np.array([4.0, 2.0, 2.0])
# Shading across a face (a side in shadow, a highlight on the forehead) is still skin: the skin
# Gaussian's lightness spread is widened by this factor.
SHADING_WIDEN = 1.6
# A non-skin cluster whose centre is within this Mahalanobis distance of the skin model is skin too.
SKIN_LIKE_CLUSTER = 2.5
# Inside a face, skin is far more likely than anything else (log odds).
SKIN_PRIOR = float(np.log(20.0))
# Beyond this Mahalanobis distance from the skin model a colour is not skin.
FAR_FROM_SKIN = 4.5
# The models work on a copy of the crop scaled so the face is about this many pixels across: colour
# regions do not need more, and the cost stays the same for every face size.
WORK_FACE_PX = 112
# Around a template's eyes, nothing counts as covering the face within this fraction of the face's size.
EYE_MARGIN = 0.1
# A brow is under hair when what covers the face lies along more than this fraction of its edge.
BROW_COVERED = 0.4
# Inside the face, uncovered and away from the features, a pixel counts at least this much as skin for
# colour statistics.
WEIGHT_FLOOR = 0.3
# Clusters in the ring outside the face.
RING_CLUSTERS = 4
# The ring: between these fractions of the face size outside the outline.
RING = (0.04, 0.22)


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return a + (b - a) * t


def core_polygons(landmarks: np.ndarray) -> list[np.ndarray]:
    """Polygons over the cheeks and the nose bridge: skin on almost every face, whatever the hair."""
    lm = landmarks.astype(np.float32)
    nose = lm[30]
    polygons = []
    for jaw, eye, side, corner in (([1, 2, 3, 4], [40, 41], 31, 48), ([15, 14, 13, 12], [46, 47], 35, 54)):
        points = [_lerp(lm[j], nose, 0.35) for j in jaw]
        points += [_lerp(lm[corner], lm[side], 0.35), lm[side], _lerp(lm[eye].mean(axis=0), nose, 0.3)]
        polygons.append(cv2.convexHull(np.array(points, dtype=np.float32)))
    bridge = [_lerp(lm[27], lm[39], 0.3), _lerp(lm[27], lm[42], 0.3)]
    bridge += [_lerp(lm[30], lm[31], 0.3), _lerp(lm[30], lm[35], 0.3)]
    polygons.append(cv2.convexHull(np.array(bridge, dtype=np.float32)))
    return polygons


def feature_polygons(landmarks: np.ndarray) -> list[np.ndarray]:
    """The eyes, the mouth and the nostrils: parts of the face that are not skin-coloured."""
    lm = landmarks.astype(np.float32)
    return [cv2.convexHull(lm[group]) for group in (RIGHT_EYE, LEFT_EYE, MOUTH, list(range(31, 36)))]


def brow_polygons(landmarks: np.ndarray) -> list[np.ndarray]:
    lm = landmarks.astype(np.float32)
    return [cv2.convexHull(lm[group]) for group in (RIGHT_BROW, LEFT_BROW)]


@dataclass
class Gaussian:
    mean: np.ndarray  # (3,)
    inverse: np.ndarray  # (3, 3)
    log_det: float

    @classmethod
    def fit(cls, pixels: np.ndarray, floor: np.ndarray, widen: float = 1.0) -> Gaussian:
        """A Gaussian over pixels with each channel's spread at least `floor`; `widen` stretches it along
        its main axis when that axis is mostly lightness (shading: darker skin is also more saturated)."""
        mean = pixels.mean(axis=0)
        cov = np.cov(pixels.T) if len(pixels) > 3 else np.zeros((3, 3))
        cov = cov + np.diag(floor**2)
        if widen != 1.0:
            values, vectors = np.linalg.eigh(cov)
            axis = vectors[:, -1]
            if abs(axis[0]) > 0.7:
                values[-1] *= widen**2
            else:
                values[np.argmax(np.abs(vectors[0]))] *= widen**2
            cov = vectors @ np.diag(values) @ vectors.T
        return cls(mean=mean, inverse=np.linalg.inv(cov), log_det=float(np.linalg.slogdet(cov)[1]))

    def mahalanobis2(self, pixels: np.ndarray) -> np.ndarray:
        # An image's float32 pixels stay float32 (float64 doubled this, the skin map's largest cost).
        exact = pixels.dtype != np.float32
        d = pixels - (self.mean if exact else self.mean.astype(np.float32))
        inv = self.inverse if exact else self.inverse.astype(np.float32)
        # Written out per term: several times faster than einsum on an image.
        return (
            inv[0, 0] * d[..., 0] ** 2
            + inv[1, 1] * d[..., 1] ** 2
            + inv[2, 2] * d[..., 2] ** 2
            + 2 * inv[0, 1] * d[..., 0] * d[..., 1]
            + 2 * inv[0, 2] * d[..., 0] * d[..., 2]
            + 2 * inv[1, 2] * d[..., 1] * d[..., 2]
        )

    def log_likelihood(self, pixels: np.ndarray) -> np.ndarray:
        return -0.5 * (self.mahalanobis2(pixels) + self.log_det)


def robust_pixels(pixels: np.ndarray) -> np.ndarray:
    """The pixels without outliers (a mole, a strand of hair, a highlight): a Gaussian is fitted and
    the pixels beyond 3 standard deviations of it dropped, twice."""
    for _ in range(2):
        model = Gaussian.fit(pixels, SKIN_FLOOR / 2)
        keep = model.mahalanobis2(pixels) < 3.0**2
        if keep.sum() < 16:
            break
        pixels = pixels[keep]
    return pixels


@dataclass
class SkinModel:
    skin: Gaussian
    others: list[Gaussian]

    def probability(self, lab: np.ndarray) -> np.ndarray:
        """Per pixel, how likely it is skin (float32 0..1), by the skin model against the non-skin ones."""
        distance2 = self.skin.mahalanobis2(lab)
        if not self.others:
            return (distance2 < FAR_FROM_SKIN**2).astype(np.float32)
        skin = -0.5 * (distance2 + self.skin.log_det) + SKIN_PRIOR
        other = np.max(np.stack([g.log_likelihood(lab) for g in self.others]), axis=0)
        prob = 1.0 / (1.0 + np.exp(-np.clip(skin - other, -30, 30)))
        # A colour far from the skin is not skin, whether or not the ring showed it.
        prob[distance2 > FAR_FROM_SKIN**2] = 0.0
        return prob.astype(np.float32)


def skin_model(lab: np.ndarray, landmarks: np.ndarray, outline: np.ndarray, size: float) -> SkinModel:
    """The skin and non-skin colour models of one face (lab: float32 CIELAB crop; outline: its polygon)."""
    shape = lab.shape[:2]
    core = fill_polygons(shape, core_polygons(landmarks))
    features = fill_polygons(shape, feature_polygons(landmarks))
    features = dilate(features, max(1, round(0.03 * size)))
    core &= 1 - features
    pixels = lab[core > 0]
    if len(pixels) < 16:
        pixels = lab.reshape(-1, 3)
    skin = Gaussian.fit(robust_pixels(pixels), SKIN_FLOOR, SHADING_WIDEN)
    inside = fill_polygons(shape, [outline])
    near = dilate(inside, max(1, round(RING[0] * size)))
    far = dilate(inside, max(2, round(RING[1] * size)))
    ring = lab[(far > 0) & (near == 0)]
    others = []
    if len(ring) >= 4 * RING_CLUSTERS:
        step = max(1, len(ring) // 4000)
        sample = np.ascontiguousarray(ring[::step], dtype=np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
        cv2.setRNGSeed(0)
        _, labels, _ = cv2.kmeans(sample, RING_CLUSTERS, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
        for k in range(RING_CLUSTERS):
            members = sample[labels.ravel() == k]
            if len(members) < 8:
                continue
            cluster = Gaussian.fit(members, OTHER_FLOOR)
            if skin.mahalanobis2(cluster.mean) < SKIN_LIKE_CLUSTER**2:
                continue
            others.append(cluster)
    return SkinModel(skin=skin, others=others)


def occluders(
    probability: np.ndarray, landmarks: np.ndarray, outline: np.ndarray, size: float, *, only_above: bool = True
) -> np.ndarray:
    """What covers the face (uint8 0/1): non-skin inside the outline that reaches it from outside.

    only_above: only above the mouth (a template: below it the outside is the neck, a collar or a beard's
    shadow, which cover nothing of the face); a source photo's hair and background are unwanted anywhere.

    The eyes, mouth and nostrils never count (they are enclosed by skin, and dark eyes next to dark
    hair must not merge with it). Nor do the brows, whose tails often touch the hair at the temples of a
    turned head; a brow counts only when what covers the face also lies along most of its edge (bangs
    over the brows).
    """
    shape = probability.shape
    inside = fill_polygons(shape, [outline])
    nonskin = (probability < 0.5).astype(np.uint8)
    margin = max(1, round(0.04 * size))
    features = fill_polygons(shape, feature_polygons(landmarks))
    brows = [dilate(fill_polygons(shape, [poly]), margin) for poly in brow_polygons(landmarks)]
    features = dilate(features, margin) | brows[0] | brows[1]
    if only_above:
        # A template's eyes get a wider margin: eyeliner and lashes reach past the landmarks, and a shadow
        # can link them to the hair at a turned head's temple. (Not a source's: there the background
        # beside a turned face's far eye must stay out.)
        eyes = fill_polygons(shape, feature_polygons(landmarks)[:2])
        features |= dilate(eyes, max(1, round(EYE_MARGIN * size)))
    candidate = nonskin & (1 - features)
    # Noise (single dark pixels, JPEG blocks) away: a small opening.
    radius = max(1, round(0.015 * size))
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, disc(radius))
    # Components that reach the face from outside above the mouth: hair falls from above and along the
    # sides; below, the outside is the neck, collar and beard shadow, which cover nothing.
    outside = 1 - inside
    if only_above:
        # Above the line through the mouth's corners: on the brows' side.
        above = side_of_line(shape, landmarks[48], landmarks[54], landmarks[17:27].mean(axis=0))
        candidate &= above
        outside &= above
    _, labels = cv2.connectedComponents(candidate | outside, connectivity=8)
    touching = np.unique(labels[outside > 0])
    covered = np.isin(labels, touching[touching > 0]).astype(np.uint8) & inside
    for brow in brows:
        rim = dilate(brow, margin) & (1 - brow)
        if rim.any() and covered[rim > 0].mean() > BROW_COVERED:
            covered |= nonskin & brow & inside
    return covered


@dataclass
class SkinMap:
    """One face crop's skin, at the crop's full size.

    probability: how likely each pixel is skin (float32 0..1); covered: what covers the face (uint8 0/1,
    see `occluders`); weights: the clean skin to measure colour on (float32 0..1: skin, inside the
    outline, not covered, away from the eyes, brows, nostrils and mouth).
    """

    probability: np.ndarray
    covered: np.ndarray
    weights: np.ndarray


def skin_map(image: np.ndarray, landmarks: np.ndarray, outline: np.ndarray, size: float, *, template: bool) -> SkinMap:
    """The skin of the face in an RGB crop (landmarks, outline and size in the crop's pixels).

    template: the face is the template's (what covers it stays) rather than a source photo's (what covers
    it must not come along); see `occluders`."""
    height, width = image.shape[:2]
    scale = min(1.0, WORK_FACE_PX / max(size, 1.0))
    small = image if scale == 1.0 else shrink(image, scale)
    sy, sx = small.shape[0] / height, small.shape[1] / width
    factor = np.array([sx, sy], dtype=np.float32)
    lm, poly, small_size = landmarks * factor, outline * factor, size * scale
    lab = to_lab(small)
    probability = skin_model(lab, lm, poly, small_size).probability(lab)
    covered = occluders(probability, lm, poly, small_size, only_above=template)
    shape = probability.shape
    clean = fill_polygons(shape, [poly])
    features = fill_polygons(shape, feature_polygons(lm) + brow_polygons(lm))
    features = dilate(features, max(1, round(0.05 * small_size)))
    # Skin in deep shadow can look like hair to the colour model; inside the face and uncovered it still
    # counts a little, so the template's shading there is known.
    weights = (WEIGHT_FLOOR + (1.0 - WEIGHT_FLOOR) * probability) * (clean & (1 - features) & (1 - covered))
    if scale < 1.0:
        probability = cv2.resize(probability, (width, height), interpolation=cv2.INTER_LINEAR)
        covered = cv2.resize(covered.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        covered = (covered > 0.5).astype(np.uint8)
        weights = cv2.resize(weights, (width, height), interpolation=cv2.INTER_LINEAR)
    return SkinMap(probability=probability, covered=covered, weights=weights)


def side_of_line(shape: tuple[int, int], a: np.ndarray, b: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """uint8 mask of the pixels strictly on `toward`'s side of the line through the points a and b."""
    height, width = shape
    # (A row and a column, broadcast: the same values as full coordinate grids, without building them.)
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]
    direction = b - a
    normal = np.array([direction[1], -direction[0]], dtype=np.float32)
    if float(np.dot(toward - a, normal)) < 0:
        normal = -normal
    return (((xs - a[0]) * normal[0] + (ys - a[1]) * normal[1]) > 0).astype(np.uint8)
