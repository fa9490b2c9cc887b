"""The look measures: how a swapped face sits in its template, measured as a person would judge it.

Per face of a result, against the template it was made from (the template face's box and landmarks
known; the meshes are found afresh on both pictures with MediaPipe's face mesh, independent of how the
swap placed the face):
- pose: head yaw and pitch of the result's face minus the template's (degrees; target <= 5);
- mouth / eyes: the gap between the inner lips, and between the lids, over the face's height, result
  minus template (target within 0.05);
- foreign: the share of the face's skin area (inside the mesh's outline, eyes, brows, lips and nostrils
  left out) whose colour is far from the face's own skin in the result but was not far from the
  template's own skin there: backdrop, hair or a colour cast the swap brought in (target <= 1 %);
- seam: along the edge of what the swap changed, the lightness gradient in the result over the
  template's there (target <= 1.3), and the lightness step across it, result's minus template's (L);
- sharpness: Laplacian variance of the face, result over template (target 0.8-1.25);
- neck: ΔE (CIE76) of the face's cheek skin to the template's neck skin below the chin, and the
  template's own (report);
- identity: dlib descriptor distance of the result's face to the person's photo, and whether it is
  recognised (< 0.6 and closer to the person than to the template's own face).

`hard_paste` makes the validation row: the person's face moved onto the template's landmarks by one
similarity transform and pasted through the face outline with a hard edge, no colour correction. It
must score clearly worst, and the template itself (a "swap" that changed nothing) best.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceengine import Face
from faceengine.shared import align, blend, colour
from faceengine.shared.mesh import (
    BROW_LEFT,
    BROW_RIGHT,
    EYE_LEFT,
    EYE_RIGHT,
    FACE_OVAL,
    LIPS_OUTER,
    FaceMesher,
    eye_openness,
    face_height,
    mesh_pose,
    mouth_openness,
)
from faceengine.util import disc, fill_polygons
from testing.identity import SAME_PERSON, descriptor, distance

TARGETS = {"pose": 5.0, "openness": 0.05, "foreign": 0.01, "seam": 1.3, "sharpness": (0.8, 1.25)}
# A colour this far (Mahalanobis, CIELAB) from a face's skin model is not its skin.
FAR_FROM_SKIN = 5.0
# The skin model's spread floors (CIELAB): shading moves lightness a lot, colour little.
SKIN_FLOOR = np.array([10.0, 3.0, 3.0])
# Cheek patches (mesh points) the skin model is learnt on.
CHEEKS = ([50, 101, 118, 117, 123, 147, 187, 205, 36], [280, 330, 347, 346, 352, 376, 411, 425, 266])
NOSTRILS = [98, 97, 2, 326, 327, 294, 278, 344, 440, 275, 4, 45, 220, 115, 48, 64]
# A pixel the swap changed: ΔE above this (after a light blur, so JPEG noise does not count).
CHANGED_DELTA_E = 4.0
# The seam ring: this fraction of the face's height on each side of the changed region's edge.
SEAM_RING = 0.025

_mesher = FaceMesher()


@dataclass
class FaceLook:
    yaw: float
    pitch: float
    mouth: float
    eyes: float
    foreign: float
    seam: float
    step: float
    sharpness: float
    neck: float
    neck_template: float
    identity: float | None = None
    recognised: bool | None = None


def face_mesh(image: np.ndarray, face: Face) -> np.ndarray | None:
    return _mesher.mesh(image, face.box)


def _polygon(points: np.ndarray, index: list[int]) -> np.ndarray:
    return points[index, :2].astype(np.float32)


def _skin_area(shape: tuple[int, int], mesh: np.ndarray) -> np.ndarray:
    """The face's skin area (uint8 0/1): inside the outline, without eyes, brows, lips and nostrils."""
    size = face_height(mesh)
    inside = fill_polygons(shape, [_polygon(mesh, FACE_OVAL)])
    features = fill_polygons(
        shape,
        [cv2.convexHull(_polygon(mesh, group)) for group in (EYE_LEFT, EYE_RIGHT, BROW_LEFT, BROW_RIGHT, LIPS_OUTER)]
        + [cv2.convexHull(_polygon(mesh, NOSTRILS))],
    )
    features = cv2.dilate(features, disc(max(1, round(0.03 * size))))
    # Away from the outline itself, where a jaw or a hairline meets the background.
    inner = cv2.erode(inside, disc(max(1, round(0.03 * size))))
    return inner & (1 - features)


def _skin_model(lab: np.ndarray, mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A robust Gaussian (mean, inverse covariance) of the cheeks' colour."""
    cheeks = fill_polygons(lab.shape[:2], [cv2.convexHull(_polygon(mesh, group)) for group in CHEEKS])
    pixels = lab[cheeks > 0].astype(np.float64)
    if len(pixels) < 16:
        pixels = lab.reshape(-1, 3).astype(np.float64)
    keep = np.ones(len(pixels), dtype=bool)
    for _ in range(3):
        mean = pixels[keep].mean(axis=0)
        cov = np.cov(pixels[keep].T) + np.diag(SKIN_FLOOR**2)
        inverse = np.linalg.inv(cov)
        d = pixels - mean
        keep = np.einsum("ij,jk,ik->i", d, inverse, d) < 9.0
        if keep.sum() < 16:
            break
    return mean, inverse


def _far_from_skin(lab: np.ndarray, model: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean, inverse = model
    d = lab.astype(np.float64) - mean
    return np.einsum("...j,jk,...k->...", d, inverse, d) > FAR_FROM_SKIN**2


def _crop(image: np.ndarray, face: Face, margin: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    x1, y1, x2, y2 = face.box
    grow = margin * max(x2 - x1, y2 - y1)
    height, width = image.shape[:2]
    box = np.array(
        [max(0, int(x1 - grow)), max(0, int(y1 - grow)), min(width, int(x2 + grow)), min(height, int(y2 + grow))]
    )
    return np.ascontiguousarray(image[box[1] : box[3], box[0] : box[2], :3]), box


def measure(result: np.ndarray, template: np.ndarray, target: Face) -> FaceLook | None:
    """The look of one swapped face (target: the template's face); None when no mesh is found on the
    result or the template (the face is not a face any more, or was never one the mesh model sees)."""
    after, box = _crop(result, target)
    before, _ = _crop(template, target)
    offset = np.array([box[0], box[1], 0], dtype=np.float32)
    local = Face(box=target.box - np.concatenate([offset[:2], offset[:2]]), kps=target.kps - offset[:2], score=1.0)
    mesh_after, mesh_before = face_mesh(after, local), face_mesh(before, local)
    if mesh_after is None or mesh_before is None:
        return None
    pose_after, pose_before = mesh_pose(mesh_after), mesh_pose(mesh_before)
    lab_after, lab_before = colour.to_lab(after), colour.to_lab(before)
    shape = after.shape[:2]
    size = face_height(mesh_before)
    # Foreign colour: far from the result's own skin, where the template showed its own skin.
    area = _skin_area(shape, mesh_after) & _skin_area(shape, mesh_before)
    foreign_after = _far_from_skin(lab_after, _skin_model(lab_after, mesh_after))
    foreign_before = _far_from_skin(lab_before, _skin_model(lab_before, mesh_before))
    counted = area > 0
    foreign = float((foreign_after & ~foreign_before & counted).sum() / max(1, counted.sum()))
    seam, step = _seam(lab_after, lab_before, size)
    face = cv2.erode(fill_polygons(shape, [_polygon(mesh_before, FACE_OVAL)]), disc(max(1, round(0.05 * size))))
    sharp_after = _laplacian_variance(lab_after[..., 0], face)
    sharp_before = _laplacian_variance(lab_before[..., 0], face)
    neck_after, neck_template = _neck(lab_after, lab_before, mesh_after, mesh_before)
    return FaceLook(
        yaw=pose_after.yaw - pose_before.yaw,
        pitch=pose_after.pitch - pose_before.pitch,
        mouth=mouth_openness(mesh_after) - mouth_openness(mesh_before),
        eyes=eye_openness(mesh_after) - eye_openness(mesh_before),
        foreign=foreign,
        seam=seam,
        step=step,
        sharpness=sharp_after / max(sharp_before, 1e-6),
        neck=neck_after,
        neck_template=neck_template,
    )


def _seam(after: np.ndarray, before: np.ndarray, size: float) -> tuple[float, float]:
    """(gradient ratio, lightness step) along the edge of what the swap changed."""
    blurred_a = cv2.GaussianBlur(after, (0, 0), 1.5)
    blurred_b = cv2.GaussianBlur(before, (0, 0), 1.5)
    changed = (np.linalg.norm(blurred_a - blurred_b, axis=2) > CHANGED_DELTA_E).astype(np.uint8)
    # The changed region as one body: small holes closed, specks away.
    radius = max(1, round(0.02 * size))
    changed = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, disc(radius))
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, disc(radius))
    if changed.sum() < 16:
        return 1.0, 0.0
    ring = max(1, round(SEAM_RING * size))
    outer = cv2.dilate(changed, disc(ring)) & (1 - changed)
    inner = changed & (1 - cv2.erode(changed, disc(ring)))
    band = (outer | inner) > 0

    def gradient(lightness: np.ndarray) -> float:
        gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3)
        return float(np.sqrt(gx**2 + gy**2)[band].mean())

    ratio = gradient(after[..., 0]) / max(gradient(before[..., 0]), 1e-3)
    step_after = float(after[..., 0][inner > 0].mean() - after[..., 0][outer > 0].mean())
    step_before = float(before[..., 0][inner > 0].mean() - before[..., 0][outer > 0].mean())
    return ratio, abs(step_after) - abs(step_before)


def _laplacian_variance(lightness: np.ndarray, where: np.ndarray) -> float:
    laplacian = cv2.Laplacian(lightness, cv2.CV_32F, ksize=3)
    values = laplacian[where > 0]
    return float(values.var()) if len(values) else 0.0


def _neck(after: np.ndarray, before: np.ndarray, mesh_after: np.ndarray, mesh_before: np.ndarray):
    """ΔE of the result's cheeks to the template's neck (a band below the chin), and the template's own."""
    size = face_height(mesh_before)
    chin = mesh_before[152, :2]
    height, width = before.shape[:2]
    x1, x2 = int(chin[0] - 0.12 * size), int(chin[0] + 0.12 * size)
    y1, y2 = int(chin[1] + 0.08 * size), int(chin[1] + 0.2 * size)
    region = before[max(0, y1) : min(height, y2), max(0, x1) : min(width, x2)]
    if region.size == 0:
        return float("nan"), float("nan")
    neck = np.median(region.reshape(-1, 3), axis=0)

    def cheeks(lab, mesh):
        mask = fill_polygons(lab.shape[:2], [cv2.convexHull(_polygon(mesh, group)) for group in CHEEKS])
        return np.median(lab[mask > 0], axis=0) if mask.any() else np.full(3, np.nan)

    return float(np.linalg.norm(cheeks(after, mesh_after) - neck)), float(
        np.linalg.norm(cheeks(before, mesh_before) - neck)
    )


def identity(result: np.ndarray, target: Face, source_descriptor: np.ndarray, template_descriptor: np.ndarray):
    """(distance to the person, recognised)."""
    swapped = descriptor(result, target.box)
    to_source = distance(swapped, source_descriptor)
    return to_source, bool(to_source < SAME_PERSON and to_source < distance(swapped, template_descriptor))


def hard_paste(
    template: np.ndarray, faces: dict[str, Face], photos: dict[str, np.ndarray], sources: dict
) -> np.ndarray:
    """The validation row: each person's face moved by one similarity transform onto the template face's
    landmarks and pasted with a hard edge through the face outline, colours as they are."""
    result = np.ascontiguousarray(template[..., :3]).copy()
    for role, target in faces.items():
        source = sources[role]
        matrix = align.similarity_transform(source.landmarks[align.ALIGN_POINTS], target.landmarks[align.ALIGN_POINTS])
        moved = align.warp_into(photos[role], matrix, (result.shape[1], result.shape[0]))
        mask = fill_polygons(result.shape[:2], [cv2.convexHull(blend.face_outline(target.landmarks))]) > 0
        result[mask] = moved[mask]
    return result
