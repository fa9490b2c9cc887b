"""The drawn-art swap itself (`swap_face_acg`): the drawing measured, the photo's face fitted, bent,
redrawn in the drawing's tones, eyes and ink, and composited into the drawn face. What the photo cannot
cover of the drawn face (its hair or background fall there) is painted in the drawn skin's flat tones, so no
drawn eye or mouth peeks out beside the photo's."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field

import cv2
import numpy as np

from ...faces import Face
from ...landmarks import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE, kps_from_landmarks
from ...shared import align, blend, colour, skin
from ...util import Timings, crop_box, disc, timed
from . import ink as _ink
from .accessories import draw_facial_hair, draw_glasses
from .brows import BROW_SCALE, BROW_THINNEST, brow_colour, brow_layer, drawn_brows, raise_brows
from .eyes import (
    drawn_eye_sizes,
    drawn_eyes,
    eye_change,
    eye_highlights,
    highlight_places,
    paint_highlights,
    place_eyes,
)
from .ink import ink_lines
from .palette import (
    Ink,
    Palette,
    drawn_ink,
    drawn_palette,
    drawn_tone_maps,
    drawn_tones,
    feature_masks,
    line_lab,
    person_palette,
    recolour,
    skin_shift,
    skin_tones,
    stylise,
    tone_drawn_skin,
)
from .pose import bend, drawn_layout, drawn_turn, layout_for, photo_turn, straighten
from .region import cheek_mask, drawn_face_region, fit_to_drawn
from .reshape import reshape_face
from .traits import TRAIT_NAMES, PersonTraits, person_traits

# The crop around the drawn face: its box and points grown by this share of its size (room for the jaw's
# and the chin's reshaping to fade out).
CROP_MARGIN = 0.25
# The person's skin tone on the drawing's skin around the face fades out over this share of the face's
# size towards the crop's edge.
TONE_FADE = 0.2
# The pixels this far (px) outside the drawn face that mix its skin with the line colour take the person's
# tone in proportion (tone_drawn_skin).
EDGE_REACH = 2
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


@dataclass
class Features:
    """The person's features drawn on the face (_draw_features): the image, the landmarks the ink follows
    (brows raised clear of the eyes), the ink lines drawn, the brows' coverage, the eyes' shapes, their
    coverage and where their highlights went."""

    landmarks: np.ndarray | None
    image: np.ndarray | None = None
    lines: tuple = ()
    brows: np.ndarray | None = None
    shapes: list = field(default_factory=list)
    eyes: np.ndarray | None = None
    places: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.float32))


def _draw_features(
    result: np.ndarray,
    lab: np.ndarray,
    kps: np.ndarray,
    region: np.ndarray,
    palette: Palette,
    tones: Palette,
    ink: Ink,
    landmarks: np.ndarray,
    traits: PersonTraits,
    lifted: list,
    shift: np.ndarray,
) -> Features:
    """The person's eyes (the drawing's own, re-proportioned), brows and ink lines drawn over result (in
    place) where their landmarks put them."""
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    centres = np.stack([landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)])
    shapes, eyes = place_eyes(result, lifted, centres, eye_change(traits.deviation()), region, shift)
    ink_lm = raise_brows(landmarks, shapes, eye_distance)
    lines = _ink.INK_LINES[2:]
    ink_lines(result, ink_lm, ink.colour, ink.width, region, lines)
    # The drawing's own brows, where they show just above the drawn face, stay the brows; a brow mostly
    # under the hair would show as dashes between its strands. Else the person's: their curve (inner end
    # first), thickness and darkness.
    kept = drawn_brows(lab, region, kps, shapes, palette, ink)
    thickness = max(BROW_SCALE * traits.brow_thickness * blend.face_size(landmarks), BROW_THINNEST * ink.width)
    skin_rgb = colour.from_lab(tones.base.reshape(1, 1, 3).astype(np.float32)).reshape(3)
    paint = np.broadcast_to(
        brow_colour(ink, skin_rgb.astype(np.float32), traits.brow_contrast).astype(np.uint8), result.shape
    )
    brows = np.zeros(region.shape, dtype=np.float32)
    for i, brow in enumerate((RIGHT_BROW[::-1], LEFT_BROW)):
        if kept[i] or _share_inside(ink_lm[brow], region) < BROW_INSIDE:
            continue
        brows = np.maximum(brows, brow_layer(region.shape, ink_lm[brow], thickness) * region)
    result[...] = blend.composite(result, paint, brows)
    return Features(landmarks=ink_lm, image=result, lines=lines, brows=brows, shapes=shapes, eyes=eyes)


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

    stylised: redrawn in the drawing's palette, eyes and ink with the person's traits (else only
    recoloured); straightened: a source turned away from the drawn face's pose is straightened to it;
    trace, when given, receives the ink landmarks (canvas coordinates), the drawing's measured palette, ink
    and highlights, and the person's traits."""
    size = max(target.width, target.height)
    corners = np.array([target.box[:2], target.box[2:]], dtype=np.float32)
    x1, y1, x2, y2 = crop_box(np.concatenate([corners, target.kps]), size, canvas.shape, margin=CROP_MARGIN)
    offset = np.array([x1, y1], dtype=np.float32)
    crop = canvas[y1:y2, x1:x2]
    shape = crop.shape[:2]
    kps = target.kps - offset
    box = target.box - np.concatenate([offset, offset])
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    landmarks = source.landmarks
    with timed(timings, "skin"):
        # The person's traits (their face's shape, skin, brows, what they wear) and the drawing's.
        traits = person_traits(photo, landmarks) if landmarks is not None and stylised else None
        deviation = traits.deviation() if traits is not None else np.zeros(len(TRAIT_NAMES))
        crop_lab = colour.to_lab(crop)
        region = drawn_face_region(crop_lab, box, kps)
        if traits is not None:
            # The drawn outline itself takes the person's face shape (the jaw, the chin).
            crop, region = reshape_face(crop, region, kps, deviation)
            crop_lab = colour.to_lab(crop)
        line = line_lab(crop_lab, region)
        palette = drawn_palette(crop_lab, region, kps, line)
        drawn_shadow, drawn_blush = drawn_tone_maps(crop_lab, region, kps, palette)
        shift = skin_shift(palette, traits.skin) if traits is not None else np.zeros(3, np.float32)
        tones = person_palette(palette, shift)
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
            fitted_goals = align.transform_points(matrix, goals)
            layout = layout_for(kps, deviation, fitted_goals) if stylised else None
            # The person's proportions where the bend can reach them without folding the photo (a drawn
            # mouth close under the nose leaves little room), else the drawing's own layout.
            moved, moved_lm = bend(
                moved, moved_lm, drawn_layout(fitted_goals, kps, layout), drawn_layout(fitted_goals, kps)
            )
    with timed(timings, "blend"):
        mask = region.astype(np.float32)
        weights = probability = None
        if moved_lm is not None:
            # Never beyond the person's own face, nor their hair (no background or hair from the photo).
            outline = blend.face_outline(moved_lm, forehead=0.25)
            mask *= blend.fill(shape, [cv2.convexHull(outline)])
            src_skin = skin.skin_map(moved, moved_lm, outline, blend.face_size(moved_lm), template=False)
            mask *= 1.0 - src_skin.covered
            weights, probability = src_skin.weights, src_skin.probability
    with timed(timings, "colour"):
        if weights is None or weights.sum() < 16:
            weights = cheek_mask(shape, align.transform_points(matrix, source.kps)).astype(np.float32)
        if stylised:
            eyes = mouth = np.zeros(shape, np.float32)
            if moved_lm is not None:
                eyes, mouth = feature_masks(shape, moved_lm, eye_distance)
                # The photo's eyes become plain skin (the drawing's own eyes go over them, place_eyes),
                # painted even where the photo's skin model took them for something over the face.
                mask = np.maximum(mask, eyes * region)
            moved = drawn_tones(
                stylise(moved, eye_distance),
                weights,
                tones,
                eyes=eyes,
                mouth=mouth,
                drawn_shadow=drawn_shadow,
                drawn_blush=drawn_blush,
                eye_distance=eye_distance,
                skin_probability=probability,
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
        flat_lab = skin_tones(tones, drawn_shadow, drawn_blush)
        drawn = blend.composite(crop, colour.from_lab(flat_lab.astype(np.float32)), base)
        result = blend.composite(drawn, moved, mask)
        if np.abs(shift).max() > 0.5:
            # The drawing's skin around the face (ears, neck; the face itself is painted in the person's
            # tones already) takes the person's tone too, fading out towards the crop's edge.
            edge = np.zeros(shape, np.uint8)
            edge[1:-1, 1:-1] = 1
            fade = np.clip(cv2.distanceTransform(edge, cv2.DIST_L2, 3) / (TONE_FADE * size), 0.0, 1.0)
            # The drawn face's own edge and the strands of hair over it: their anti-aliased pixels (part
            # skin, part line) take the skin's share of the tone, or a pale rim outlines every line.
            edge = cv2.dilate(region, disc(EDGE_REACH)).astype(np.float32)
            result = tone_drawn_skin(result, crop_lab, palette, shift, fade * (1.0 - base), line=line, edge=edge)
    with timed(timings, "ink"):
        ink = drawn_ink(crop_lab, region, kps, palette)
        drawn_sizes = drawn_eye_sizes(crop_lab, kps)
        highlights = eye_highlights(crop, crop_lab, kps, drawn_sizes) if stylised else []
        features = Features(landmarks=moved_lm)
        if stylised and moved_lm is not None and traits is not None:
            result = draw_facial_hair(result, moved_lm, traits, tones, ink, region)
            lifted = drawn_eyes(crop, crop_lab, kps, drawn_sizes, region, palette)
            features = _draw_features(
                result, crop_lab, kps, region, palette, tones, ink, moved_lm, traits, lifted, shift
            )
            result = features.image
            # The highlights as drawn, at whole pixels, inside the new eyes (a lid brought down covers them).
            features.places = highlight_places(highlights, kps, drawn_sizes, features.shapes)
            painted = paint_highlights(result, highlights, kps, features.places, features.eyes)
            result = blend.composite(result, painted, region.astype(np.float32))
            result = draw_glasses(result, features.shapes, traits, ink)
    if trace is not None:
        trace.update(
            palette=palette,
            tones=tones,
            traits=traits,
            ink=ink,
            highlights=[dataclasses.replace(h, rgb=None) for h in highlights],
            highlight_places=features.places + offset,
            region=(x1, y1, region),
            landmarks=None if moved_lm is None else moved_lm + offset,
            ink_landmarks=None if features.landmarks is None else features.landmarks + offset,
            ink_lines=features.lines,
            brows=features.brows,
            eyes=features.eyes,
            eye_shapes=features.shapes,
        )
    canvas[y1:y2, x1:x2] = result
