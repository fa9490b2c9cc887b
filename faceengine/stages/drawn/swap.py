"""The drawn-art swap itself (`swap_face_acg`): the drawing measured, the photo's face fitted, bent,
redrawn in the drawing's tones, eyes and ink, and composited into the drawn face. What the photo cannot
cover of the drawn face (its hair or background fall there) is painted in the drawn skin's flat tones, so no
drawn eye or mouth peeks out beside the photo's."""

from __future__ import annotations

import dataclasses
import itertools

import cv2
import numpy as np

from ...faces import Face
from ...landmarks import LEFT_BROW, RIGHT_BROW, kps_from_landmarks
from ...shared import align, blend, colour, skin
from ...util import Timings, crop_box, disc, timed
from . import eyes as _eyes
from . import ink as _ink
from .brows import drawn_brows, raise_brows
from .eyes import (
    anime_eye_shapes,
    anime_eyes,
    drawn_eye_sizes,
    eye_highlights,
    fit_eyes,
    highlight_places,
    paint_highlights,
)
from .ink import ink_lines
from .palette import (
    drawn_ink,
    drawn_palette,
    drawn_tone_maps,
    drawn_tones,
    feature_masks,
    line_lab,
    recolour,
    skin_tones,
    stylise,
)
from .pose import bend, drawn_layout, drawn_turn, photo_turn, straighten
from .region import cheek_mask, drawn_face_region, fit_to_drawn

# Sources turned less than POSE_TOLERANCE degrees away from the drawn face's pose keep their own
# landmarks (and asymmetries: part of a likeness); beyond it they are straightened.
POSE_TOLERANCE = 8.0
# The photo's brow is not drawn when less than BROW_INSIDE of it lies in the drawn face (the rest under the
# hair): see brows.drawn_brows for the drawing's own brows.
BROW_INSIDE = 0.8


def _share_inside(points: np.ndarray, region: np.ndarray) -> float:
    """The share of a polyline (sampled every half pixel) that lies in region."""
    samples = [np.linspace(a, b, max(2, int(2 * np.linalg.norm(b - a)))) for a, b in itertools.pairwise(points)]
    xy = np.round(np.concatenate(samples)).astype(int)
    height, width = region.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    hits = np.zeros(len(xy), dtype=bool)
    hits[inside] = region[xy[inside, 1], xy[inside, 0]] > 0
    return float(hits.mean())


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
        palette = drawn_palette(crop_lab, region, kps, line_lab(crop_lab, region))
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
            moved, moved_lm = bend(moved, moved_lm, layout)
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
            weights = cheek_mask(shape, align.transform_points(matrix, source.kps)).astype(np.float32)
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
        flat_lab = skin_tones(palette, drawn_shadow, drawn_blush)
        drawn = blend.composite(crop, colour.from_lab(flat_lab.astype(np.float32)), base)
        result = blend.composite(drawn, moved, mask)
    with timed(timings, "ink"):
        ink = drawn_ink(crop_lab, region, kps, palette)
        drawn_sizes = drawn_eye_sizes(crop_lab, kps)
        highlights = eye_highlights(crop, crop_lab, kps, drawn_sizes) if stylised else []
        places = np.zeros((0, 2), dtype=np.float32)
        eyes_cover = lids = None
        ink_lm, shapes, lines = moved_lm, [], _ink.INK_LINES
        if stylised and moved_lm is not None:
            shapes = fit_eyes(anime_eye_shapes(moved_lm, drawn_sizes[:, 0]), region)
            eyes_cover, eyes_inside, lids = anime_eyes(result, shapes, palette, ink, region)
            ink_lm = raise_brows(moved_lm, shapes, eye_distance)
            # The drawing's own brows, where they show just above the drawn face, stay the brows; a brow
            # mostly under the hair would show as dashes between its strands.
            kept = drawn_brows(crop_lab, region, kps, shapes, palette, ink)
            hidden = [_share_inside(ink_lm[brow], region) < BROW_INSIDE for brow in (RIGHT_BROW, LEFT_BROW)]
            lines = tuple(line for i, line in enumerate(_ink.INK_LINES) if i >= 2 or not (kept[i] or hidden[i]))
            ink_lines(result, ink_lm, ink.colour, ink.width, region, lines)
            # The highlights over the lids (drawn highlights often cross the lash line), never beyond
            # the eye onto the skin.
            places = highlight_places(highlights, kps, drawn_sizes, shapes)
            within = cv2.dilate(eyes_inside, disc(max(1, round(_eyes.LASH_WEIGHT * ink.width / 2))))
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
