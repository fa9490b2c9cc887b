"""The classic swap of one photographed face into one template face with 68 landmarks.

The source face is moved by one similarity transform fitted on the landmarks and, where the two faces
are turned differently, bent part of the way towards the template's landmarks ("local"); its cheeks are
widened where the template's face reaches past them (align.widen_outline) and the skin it lacks there
(hair along a cheek, background past a turned face's far cheek) made up (`complete_face`), so no
feature of the template's own face shows beside the person's; then the masks
(where the template shows skin, what covers it, where the source has skin to give) are worked out, the
moved face takes on the template's light and colour (`colour.match_colour`), and it is pasted back
through a feathered mask (`blend`).

All the work happens on a crop around the target face, so the cost does not grow with the template; a
face bigger than MAX_WORK_FACE_PX is swapped on a scaled-down copy of its crop and put back at full size,
so the cost does not grow with the face either.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..faces import Face
from ..landmarks import INNER_MOUTH, LEFT_EYE, OUTER_MOUTH, RIGHT_EYE, estimate_pose
from ..shared import align, blend, colour, mesh, meshwarp, skin
from ..util import Timings, blur_near, crop_box, dilate, disc, shrink, timed

# A template mouth whose inner lips are this far apart (of the face's height) or less is closed.
MOUTH_CLOSED = 0.02
# The template's expression: where the inner lips' gap of the person and the template face differ by
# more than this fraction of the brow-to-chin height (a grin where the template's lips are closed, a
# closed mouth where it laughs), the person's outer lips are bent onto the template's and the template's
# own mouth shows there (follow_expression); the rest of the face stays as the 68 landmarks placed it,
# so it keeps the person's likeness (moving the whole face along the dense mesh cost 0.03 of mean
# identity distance on the shared pairs, and up to 0.19 on a face). Squeezing a grin's teeth between
# closing lips instead tore the lips apart (the lips' triangles fold).
EXPRESSION_MOUTH = 0.045
# The template's mouth shows through the swapped face over its outer lips grown by this fraction of the
# face's size (the person's lip edge, moved onto the template's, stays under it), feathered over
# EXPRESSION_FEATHER of it.
EXPRESSION_MOUTH_GROW = 0.02
# An upper lid is lowered to the template's opening when the person's eye is more open than the template
# face's by more than this (the lids' gap over the eye's width; an open eye is about 0.3, a lowered or
# winking one below 0.15).
EXPRESSION_LIDS = 0.12
# The points around the mouth follow it by a Gaussian of their distance from it, this fraction of the
# face's size (0: pinned; wider when narrower would fold the face).
EXPRESSION_REACH = (0.0, 0.1, 0.2)
# A template mouth open this much (as EXPRESSION_MOUTH measures it) shows only what lies between its
# lips (grown by EXPRESSION_INNER_GROW of the face's size), and the person's lips frame it.
EXPRESSION_OPEN = 0.03
EXPRESSION_INNER_GROW = 0.005
EXPRESSION_FEATHER = 0.015
# The working crop around a target face: its landmarks' extent grown by this fraction of the face size.
CROP_MARGIN = 0.35
# The largest face (see blend.face_size) worked on at full size. A bigger one (a large template: the faces
# of a 6000-pixel-wide photo are 2000 pixels across) is swapped on a copy of its crop scaled down to this
# and put back over the full-size crop, so only the painted face is softer than the template around it:
# at full size the mask's feathering alone took 20 s per face. Sources are rarely sharper than this.
MAX_WORK_FACE_PX = 640
# "local" (the default): aligned, then bent towards the template's landmarks by a strength that grows
# with the difference between the two faces' turn (yaw), eyes and mouth moved whole (align.local_goals);
# "align": one similarity transform only. Both keep every shared pair's identity (tools/bench_engine.py:
# local 16/16 faces recognised, mean distance 0.394; align 16/16, 0.391); local also meets a turned
# template face's pose, where align leaves the eyes side by side with the template's.
METHODS = ("local", "align")
DEFAULT_METHOD = "local"
# The local method's strength: LOCAL_BASE plus the yaw difference (degrees) divided by LOCAL_YAW_SCALE,
# between 0 and LOCAL_MAX. So faces turned within 25 degrees of each other are only aligned (every bend
# towards the template's shape costs some likeness: a full bend kept only 10 of 16 faces recognised),
# and the bend grows to its full strength at 50 degrees (a frontal photo onto a face in three-quarter view).
LOCAL_BASE = -0.5
LOCAL_YAW_SCALE = 50.0
LOCAL_MAX = 0.5
# Above the eyes, the person's skin tone fades in over this fraction of the face's size inside the mask.
TONE_EDGE = 0.15
# Above the eyes, the swapped face's lightness at the mask's edge is brought to the template skin's there
# (their difference spread along the edge over EDGE_LIGHT_BLUR of the face's size), fading out over
# EDGE_LIGHT_DEPTH of the face's size inside: no band of different brightness at the hairline, even where
# the person's photo has its own shading there (a brow ridge in shade, a shiny forehead).
EDGE_LIGHT_BLUR = 0.08
EDGE_LIGHT_DEPTH = 0.2
# A turned source's far cheek is widened (align.widen_outline) until its outline passes the template's
# features by this fraction of the face's size: the mask's soft edge (blend.FEATHER_FRACTION) and a
# little skin then lie between them and the template's cheek, so no mouth corner or eye edge of the
# template shows beside the person's. Not further: the template's plain cheek beyond may stay, and every
# stretch of the person's cheek changes their face a little.
WIDEN_MARGIN = 0.1
# Completing the person's face (complete_face): the fill's colour is taken from their skin at least this
# fraction of the face's size away from their eyes, brows, nostrils and mouth (lashes, lip colour and
# brow hair reach past the landmarks' polygons).
COMPLETE_FEATURE_MARGIN = 0.03
# The fill reaches this fraction of the face's size around the template's eyes, brows, nose and mouth:
# their edges and the cheek around them. 0.12 left larger two-tone patches of the template's cheek beside
# Monica's; 0.3 left none on the casual wife but cost likeness (bench identity mean 0.415 against 0.414
# here and 0.409 without any of this).
COMPLETE_REACH = 0.2
# Around the person's eyes and brows (this fraction of the face's size) nothing is made up, and only
# what the skin model rules out altogether (probability below COMPLETE_NOT_SKIN: a colour farther than
# skin.FAR_FROM_SKIN from their skin, such as a backdrop) is kept out of the swap; a higher bound also
# kept out shadowed lids and eye make-up, and the template's eye showed around the person's (identity
# 0.413 -> 0.416 with 0.02, Rachel on Angelina 0.55 -> 0.57).
COMPLETE_EYE_MARGIN = 0.06
COMPLETE_NOT_SKIN = 0.001
# Gaps in the person's skin smaller than this fraction of the face's size squared are left alone (a few
# pixels of shadow at a brow's tail: completing costs more time than it changes).
COMPLETE_MIN_GAP = 0.05
# The made-up skin fades into the person's own over this fraction of the face's size (a Gaussian's
# sigma), so no seam shows where their shading meets its smooth colour.
COMPLETE_SEAM = 0.02
# The smooth fill's Gaussians (fractions of the face's size): a narrow one follows the shading of the
# skin next to the gap, a wide one reaches across a gap as wide as a cheek.
COMPLETE_FILL_SIGMAS = (0.05, 0.2)
# What the mask would paint of the person's photo that is plainly not their skin (skin probability below
# STRAY_SKIN) and reaches in from beyond the painted region (a backdrop past a turned cheek or beside a
# far eye, where the template's features reach further than the person's face) is painted over with the
# person's own skin (see fill_stray). Their eyes, brows, nostrils and mouth, grown by STRAY_FEATURE_MARGIN
# of the face's size (lashes, lip colour), are never touched.
STRAY_SKIN = 0.05
STRAY_FEATURE_MARGIN = 0.03
# Above the person's brows, what is darker than this fraction of their forehead skin's mean lightness is hair (a
# fringe's tips), not skin, and is painted over with their forehead's skin (fill_fringe); with its
# strands' soft edges, FRINGE_GROW of the face's size around it.
FRINGE_DARK = 0.9
FRINGE_GROW = 0.01
# The forehead's box reaches this fraction of the face's size beyond the outline.
FRINGE_ROOM = 0.05
# The fill is worked out on a copy scaled so the face is this many pixels across: it is smooth anyway,
# and the wide Gaussian at full size cost 0.2 s per face.
COMPLETE_WORK_PX = 64


@dataclass
class WorkArea:
    """The crop around a target face that a swap works on, maybe scaled down (see MAX_WORK_FACE_PX)."""

    box: tuple[int, int, int, int]  # the full-size crop in the canvas: x1, y1, x2, y2
    full: np.ndarray  # the full-size crop (a view of the canvas)
    crop: np.ndarray  # the crop worked on: `full` itself or a scaled-down copy
    scale: np.ndarray  # crop's size over full's, per axis (x, y)
    landmarks: np.ndarray  # the target's landmarks in crop's pixels
    size: float  # the target face's size in crop's pixels

    @property
    def shape(self) -> tuple[int, int]:
        return self.crop.shape[:2]


def swap_face_classic(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    method: str = DEFAULT_METHOD,
    keep_tone: bool = True,
    meshes: tuple[np.ndarray, np.ndarray] | None = None,
    expression: bool = True,
    timings: Timings | None = None,
) -> None:
    """Put the source face (in photo) over the target face of canvas, in place. Both need 68 landmarks.

    keep_tone: the person keeps their own skin tone under the template's light (colour.match_colour);
    otherwise the face takes the template face's skin tone. meshes: the person's and the template face's
    dense meshes (photo and canvas pixels), when found: the face is then moved into the template's pose
    and expression along them (shared.meshwarp) rather than by its 68 landmarks. expression: otherwise,
    where the person's mouth is open and the template's closed or the other way round, the template's
    mouth stays (see follow_expression)."""
    if method not in METHODS:
        raise ValueError(f"unknown swap method {method!r}")
    assert target.landmarks is not None and source.landmarks is not None
    work = work_area(canvas, target.landmarks)
    opening = unseen = None
    with timed(timings, "warp"):
        if meshes is not None:
            moved_mesh = mesh_move(photo, source.landmarks, meshes, work)
            moved, moved_lm, area = moved_mesh.image, moved_mesh.landmarks, None
            unseen = moved_mesh.unseen
            opening = template_mouth_opening(meshes[1], moved_mesh, work)
        else:
            moved, moved_lm, area = move_source(photo, source.landmarks, work, local_strength(target, source, method))
            followed = follow_expression(moved, moved_lm, work) if expression else None
            if followed is not None:
                moved, moved_lm, opening = followed
            lowered = follow_lids(moved, moved_lm, work) if expression else None
            if lowered is not None:
                moved, moved_lm = lowered
    with timed(timings, "skin"):
        target_skin = skin.skin_map(
            work.crop, work.landmarks, blend.face_outline(work.landmarks), work.size, template=True
        )
        source_skin = skin.skin_map(moved, moved_lm, blend.face_outline(moved_lm), work.size, template=False)
        moved, source_skin = complete_face(moved, moved_lm, source_skin, work.landmarks, work.size, unseen)
        moved, source_skin = fill_fringe(moved, moved_lm, source_skin, work.size)
        if area is not None:
            # The person's colour is measured on their photo, not on the bend: a stretched cheek counts
            # as much as it showed there (ross+monica->casual: own tone 7.7 rather than 8.0 otherwise).
            source_skin.weights = source_skin.weights * np.clip(area, 0.0, 1.0)
    with timed(timings, "blend"):
        mask = blend.swap_mask(
            work.shape,
            work.landmarks,
            moved_lm,
            covered=target_skin.covered | source_skin.covered,
            source_covered=source_skin.covered,
            source_skin=source_skin.probability,
            skin=np.minimum(target_skin.probability, source_skin.probability),
        )
        moved = fill_stray(moved, moved_lm, source_skin, mask, work.size)
        if opening is not None:
            # The template's open mouth shows its own teeth and tongue, not the person's stretched lips.
            mask *= 1.0 - opening
        part = painted_part(mask, work.size)
    if part is None:
        return
    with timed(timings, "colour"):
        light = colour.tone_shift(photo, canvas, boxes=(source.box, target.box)) if keep_tone else None
        inside, above = inner_depth(mask, part, work.landmarks, work.size)
        weight = tone_weight(inside, above, work.size) if keep_tone else None
        edge = edge_light(mask, part, target_skin, inside, above, work.size)
        recoloured = recolour(moved, moved_lm, work, part, source_skin, target_skin, light, weight, edge)
    with timed(timings, "blend"):
        paste_back(canvas, work, recoloured, mask, part)


def mesh_move(photo: np.ndarray, landmarks: np.ndarray, meshes: tuple[np.ndarray, np.ndarray], work: WorkArea):
    """The photo moved along the dense mesh into the work crop (see shared.meshwarp)."""
    source_mesh, target_mesh = meshes
    x1, y1 = work.box[:2]
    scale = np.array([*work.scale, float(work.scale.mean())], dtype=np.float32)
    target = (target_mesh - np.array([x1, y1, 0], dtype=np.float32)) * scale
    return meshwarp.move_along_mesh(photo, source_mesh, target, landmarks, (work.shape[1], work.shape[0]))


def mouth_openness(landmarks: np.ndarray) -> float:
    """The gap between the inner lips (68 landmarks: 62 and 66) over the brow-to-chin height."""
    height = float(np.linalg.norm(landmarks[[19, 24]].mean(axis=0) - landmarks[8]))
    return float(np.linalg.norm(landmarks[62] - landmarks[66])) / max(height, 1.0)


def follow_expression(
    moved: np.ndarray, moved_lm: np.ndarray, work: WorkArea
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The template face's mouth, where the person's differs from it (see EXPRESSION_MOUTH): the moved
    face bent so the person's outer lips lie on the template's (align.piecewise_warp, their inner lips
    left to go where they will: the template's mouth covers them), its landmarks to match, and where the
    template's own mouth shows through (float32 0..1, feathered). None when the mouths are alike or the
    bend would fold the face."""
    if abs(mouth_openness(moved_lm) - mouth_openness(work.landmarks)) <= EXPRESSION_MOUTH:
        return None
    keep = [i for i in range(68) if i not in INNER_MOUTH]
    shift = work.landmarks[OUTER_MOUTH] - moved_lm[OUTER_MOUTH]
    bent = None
    for reach in EXPRESSION_REACH:
        # The points around the mouth (jaw, chin, nostrils) go part of the way with it, so a mouth that
        # moves far (a laughing template's, lower and wider) never crosses them.
        near = np.linalg.norm(moved_lm[:, None, :] - moved_lm[None, OUTER_MOUTH, :], axis=2)
        weights = np.exp(-0.5 * (near / max(1.0, reach * work.size)) ** 2)
        follow = (weights @ shift) / np.maximum(weights.sum(axis=1), 1e-6)[:, None] * weights.max(axis=1)[:, None]
        goals = moved_lm + follow
        goals[OUTER_MOUTH] = work.landmarks[OUTER_MOUTH]
        # The forehead's outline points too, so the bend stays inside the face.
        points = np.concatenate([moved_lm[keep], blend.face_outline(moved_lm)[17:]])
        targets = np.concatenate([goals[keep], blend.face_outline(moved_lm)[17:]])
        bent = align.piecewise_warp(moved, points, targets)
        if bent is not None:
            break
    if bent is None:
        return None
    goals[INNER_MOUTH] = work.landmarks[INNER_MOUTH]
    if mouth_openness(work.landmarks) > EXPRESSION_OPEN:
        # An open template mouth: its teeth and the dark between them show, framed by the person's lips.
        lips = cv2.convexHull(work.landmarks[INNER_MOUTH].astype(np.float32))
        grow = max(1, round(EXPRESSION_INNER_GROW * work.size))
    else:
        # A closed one: its lips too (the person's teeth lie between their own).
        lips = cv2.convexHull(work.landmarks[OUTER_MOUTH].astype(np.float32))
        grow = max(1, round(EXPRESSION_MOUTH_GROW * work.size))
    opening = dilate(blend.fill(work.shape, [lips]), grow)
    opening = np.clip(blur_near(opening, max(0.5, EXPRESSION_FEATHER * work.size)), 0.0, 1.0)
    return bent, goals, opening


def eye_openness(landmarks: np.ndarray, eye: list[int]) -> float:
    """How open one eye is (68 landmarks): the lids' mean gap over the eye's width."""
    points = landmarks[eye]
    gap = (np.linalg.norm(points[1] - points[5]) + np.linalg.norm(points[2] - points[4])) / 2
    return float(gap / max(float(np.linalg.norm(points[3] - points[0])), 1.0))


def follow_lids(moved: np.ndarray, moved_lm: np.ndarray, work: WorkArea) -> tuple[np.ndarray, np.ndarray] | None:
    """The moved face with its upper lids lowered to the template face's opening where the template's
    eyes are much narrower (looking down, a wink, a laugh: see EXPRESSION_LIDS), its landmarks to match;
    None when they are alike or the bend would fold the face. Never opened wider than the person's own:
    what a wider eye shows (more of the eyeball) is not in the photo."""
    goals = moved_lm.copy()
    changed = False
    for eye in (RIGHT_EYE, LEFT_EYE):
        own, template = eye_openness(moved_lm, eye), eye_openness(work.landmarks, eye)
        if own - template <= EXPRESSION_LIDS:
            continue
        keep = template / max(own, 1e-6)
        for upper, lower in ((eye[1], eye[5]), (eye[2], eye[4])):
            goals[upper] = moved_lm[lower] + keep * (moved_lm[upper] - moved_lm[lower])
        changed = True
    if not changed:
        return None
    points = [i for i in range(68) if i not in INNER_MOUTH]
    bent = align.piecewise_warp(
        moved,
        np.concatenate([moved_lm[points], blend.face_outline(moved_lm)[17:]]),
        np.concatenate([goals[points], blend.face_outline(moved_lm)[17:]]),
    )
    return None if bent is None else (bent, goals)


def template_mouth_opening(target_mesh: np.ndarray, moved: meshwarp.MeshMove, work: WorkArea) -> np.ndarray | None:
    """Where the template's own open mouth shows through (float32 0..1, feathered), or None when its mouth
    is closed (at most MOUTH_CLOSED of the face's height between the inner lips)."""
    if mesh.mouth_openness(target_mesh) <= MOUTH_CLOSED:
        return None
    opening = blend.fill(work.shape, [moved.mouth_opening])
    feather = max(0.5, 0.01 * work.size)
    return np.clip(cv2.GaussianBlur(cv2.erode(opening, disc(1)), (0, 0), feather), 0.0, 1.0)


def work_area(canvas: np.ndarray, landmarks: np.ndarray) -> WorkArea:
    """The crop around the target face's landmarks, scaled down when the face is bigger than
    MAX_WORK_FACE_PX."""
    size = blend.face_size(landmarks)
    x1, y1, x2, y2 = crop_box(landmarks, size, canvas.shape, margin=CROP_MARGIN)
    full = canvas[y1:y2, x1:x2]
    crop, scale = full, np.ones(2, dtype=np.float32)
    if size > MAX_WORK_FACE_PX:
        crop = shrink(full, MAX_WORK_FACE_PX / size)
        scale = np.array([crop.shape[1] / full.shape[1], crop.shape[0] / full.shape[0]], dtype=np.float32)
    dst = (landmarks - np.array([x1, y1], dtype=np.float32)) * scale
    return WorkArea(box=(x1, y1, x2, y2), full=full, crop=crop, scale=scale, landmarks=dst, size=blend.face_size(dst))


def local_strength(target: Face, source: Face, method: str) -> float:
    """How far the local method bends the aligned source towards the template's landmarks (0: not at all)."""
    if method != "local":
        return 0.0
    turn = abs(estimate_pose(target.landmarks).yaw - estimate_pose(source.landmarks).yaw)
    return float(np.clip(LOCAL_BASE + turn / LOCAL_YAW_SCALE, 0.0, LOCAL_MAX))


def move_source(
    photo: np.ndarray, landmarks: np.ndarray, work: WorkArea, strength: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The source photo moved onto the work crop (aligned, then bent `strength` of the way towards the
    template's landmarks, its cheeks widened to the template's features), its landmarks there, and how
    much of the aligned photo each pixel shows where it was bent (see align.piecewise_warp; None if not)."""
    matrix = align.similarity_transform(landmarks[align.ALIGN_POINTS], work.landmarks[align.ALIGN_POINTS])
    moved = align.warp_into(photo, matrix, (work.shape[1], work.shape[0]))
    moved_lm = align.transform_points(matrix, landmarks)
    # Less bend when the full one would fold the face (landmarks of a strongly turned face cross), none
    # if even a little would; the cheeks are widened to the template's outline if any of these bends
    # takes it. When none does (the widening is what folds the face: Angelina, turned ~40 degrees from
    # the Winning hand wife), the bend goes on without it, as it did before the widening: no bend at all
    # left her features beside the template's and a dark patch of her far cheek's shade on its lit cheek.
    target_outline = blend.face_outline(work.landmarks)
    points = np.concatenate([moved_lm, blend.face_outline(moved_lm)[17:]])
    strengths = (strength, strength / 2, strength / 4) if strength > 0.0 else ()
    attempts = [(attempt, True) for attempt in (*strengths, 0.0)] + [(attempt, False) for attempt in strengths]
    for attempt, widen in attempts:
        goal = align.local_goals(moved_lm, work.landmarks, attempt) if attempt > 0.0 else moved_lm.copy()
        # The forehead's outline points, so the forehead moves with the brows.
        outline = blend.face_outline(goal)
        if widen:
            outline = align.widen_outline(outline, work.landmarks, target_outline, WIDEN_MARGIN * work.size)
            goal[:17] = outline[:17]
        goals = np.concatenate([goal, outline[17:]])
        if np.abs(goals - points).max() < 0.5:
            return moved, moved_lm, None
        bent = align.piecewise_warp(moved, points, goals, with_area=True)
        if bent is not None:
            return bent[0], goal, bent[1]
    return moved, moved_lm, None


def complete_face(
    moved: np.ndarray,
    moved_lm: np.ndarray,
    source_skin: skin.SkinMap,
    target_lm: np.ndarray,
    size: float,
    unseen: np.ndarray | None = None,
) -> tuple[np.ndarray, skin.SkinMap]:
    """The moved face with the skin it lacks at its edge made up from its own, and its skin map to match.

    Inside the person's face outline (widened to the template's, see align.widen_outline), where their
    photo shows no skin reaching in from outside (hair along a cheek, background past a turned face's
    far cheek), the mask would leave the template's own cheek, mouth corner or eye edge beside the
    person's features: a ghost of the template's face. There the person's skin is continued with the
    smooth colour of their skin around it (`_skin_fill`), so the template's face can be covered wholly.
    Shadows inside the face (a nose's, a smile's folds) and the person's eyes, brows, nostrils and mouth
    stay as they are. unseen (uint8 0/1, the moved crop's size): what the photo hardly showed (see
    shared.meshwarp), made up wherever it lies inside the face.
    """
    # The outline as the mask takes it (blend.swap_mask: its convex hull), worked out on the box around it
    # only (a third of the crop).
    outline = cv2.convexHull(blend.face_outline(moved_lm))[:, 0]
    x1, y1 = np.maximum(np.floor(outline.min(axis=0)).astype(int) - 2, 0)
    x2, y2 = np.ceil(outline.max(axis=0)).astype(int) + 3
    box = (slice(y1, y2), slice(x1, x2))
    image, probability, covered = moved[box], source_skin.probability[box], source_skin.covered[box]
    shape = image.shape[:2]
    offset = np.array([x1, y1], dtype=np.float32)
    lm = moved_lm - offset
    inside = blend.fill(shape, [outline - offset]).astype(np.uint8)
    features = blend.fill(shape, skin.feature_polygons(lm) + skin.brow_polygons(lm)).astype(np.uint8)
    missing = inside & (1 - features) & ((covered > 0) | (probability < 0.5))
    # Only what reaches the outline from the side, below the brows (hair along a cheek, background past
    # a far cheek), and only below the brows: hair over the forehead and brows (bangs) stays the
    # template's to show, as the person's hair is never painted.
    # On the chin's side of the line through the brows' outer ends.
    below = skin.side_of_line(shape, lm[17], lm[26], lm[8])
    edge = cv2.dilate(1 - inside, disc(1)) & inside & below
    _, labels = cv2.connectedComponents(missing, connectivity=8)
    touching = np.unique(labels[(edge > 0) & (missing > 0)])
    gap = np.isin(labels, touching[touching > 0]) & (below > 0)
    # Only near the template's features (its mouth corner, eye edge, brow tail): elsewhere its plain cheek
    # may stay, and the person's own shading there is worth more to their likeness than a smooth fill.
    reach = blend.fill(shape, blend.features_polygons(target_lm - offset)).astype(np.uint8)
    # (A distance transform: a dilation by so large a disc took 30 ms.)
    gap &= cv2.distanceTransform(1 - reach, cv2.DIST_L2, 3) <= COMPLETE_REACH * size
    hidden = np.zeros(shape, dtype=bool) if unseen is None else (unseen[box] > 0) & (inside > 0)
    gap |= hidden
    if gap.sum() < (COMPLETE_MIN_GAP * size) ** 2:
        return moved, source_skin
    # Right beside the eyes and brows nothing is made up (a fill would wipe out lashes, a shadowed lid,
    # eye make-up): what is plainly no skin there (a backdrop beside a turned face's far eye) is kept out
    # of the swap, the rest stays the person's.
    eyes = blend.fill(shape, skin.feature_polygons(lm)[:2] + skin.brow_polygons(lm)).astype(np.uint8)
    near_eyes = dilate(eyes, max(1, round(COMPLETE_EYE_MARGIN * size))) > 0
    keep_out = gap & near_eyes & (probability < COMPLETE_NOT_SKIN)
    near = dilate(features, max(1, round(COMPLETE_FEATURE_MARGIN * size))) > 0
    gap &= ~near_eyes & ~near
    own = (probability > 0.5) & (covered == 0) & ~near & (inside > 0) & ~hidden
    take = gap.astype(np.float32)
    # Wholly where made up, fading into the person's own skin around it.
    alpha = np.maximum(take, cv2.GaussianBlur(take, (0, 0), max(1.0, COMPLETE_SEAM * size))) * ~near
    completed = moved.copy()
    completed[box] = blend.composite(image, _skin_fill(image, own, size), alpha.astype(np.float32))
    new_probability = source_skin.probability.copy()
    new_probability[box] = np.maximum(probability, take)
    new_covered = source_skin.covered.copy()
    new_covered[box] = ((covered > 0) & ~gap | keep_out).astype(np.uint8)
    # The made-up skin says nothing new about the person's colour: it does not count in its statistics.
    new_weights = source_skin.weights.copy()
    new_weights[box] *= 1.0 - take
    return completed, skin.SkinMap(probability=new_probability, covered=new_covered, weights=new_weights)


def fill_fringe(
    moved: np.ndarray, moved_lm: np.ndarray, source_skin: skin.SkinMap, size: float
) -> tuple[np.ndarray, skin.SkinMap]:
    """The moved face with the person's hair over their forehead (a fringe, see FRINGE_DARK) painted over
    with the smooth colour of their forehead skin around it.

    The mask covers the template's brows wholly, and where the template's brows lie higher than the
    person's, that reaches up into the person's fringe; the skin model often takes the tips of brown or
    blond hair for shaded skin (its lightness spread is wide), so they came along in the mask's soft top
    edge: a ragged brown line over a pale strip, across the forehead (the astronaut on 'Winning hand' and
    'Table for two'). Their brows, eyes and the skin around them are never touched. The skin map comes
    back with the made-up skin left out of their colour's statistics."""
    # Worked out on the box from above the outline's top down to the brows' lowest point (the forehead),
    # with room around it for the hair beyond the outline.
    outline = cv2.convexHull(blend.face_outline(moved_lm))[:, 0]
    room = max(2, round(FRINGE_ROOM * size))
    height, width = moved.shape[:2]
    x1, y1 = (max(0, int(v) - room) for v in np.floor(outline.min(axis=0)))
    x2 = min(width, int(np.ceil(outline[:, 0].max())) + room + 1)
    y2 = min(height, int(np.ceil(moved_lm[17:27, 1].max())) + room + 1)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return moved, source_skin
    box = (slice(y1, y2), slice(x1, x2))
    image, weights = moved[box], source_skin.weights[box]
    lm = moved_lm - np.array([x1, y1], dtype=np.float32)
    shape = image.shape[:2]
    lightness = colour.to_lab(image)[..., 0]
    total = float(weights.sum())
    if total < 16.0:
        return moved, source_skin
    # The forehead skin's mean lightness (the box holds the forehead and the brows).
    level = float((lightness * weights).sum()) / total
    # Above the line through the brows' outer ends, inside the face's outline (as the mask takes it).
    up = 2 * lm[17:27].mean(axis=0) - lm[8]
    above = skin.side_of_line(shape, lm[17], lm[26], up) > 0
    inside = blend.fill(shape, [outline - np.array([x1, y1], dtype=np.float32)]) > 0
    features = blend.fill(shape, skin.feature_polygons(lm) + skin.brow_polygons(lm))
    features = dilate(features.astype(np.uint8), max(1, round(STRAY_FEATURE_MARGIN * size))) > 0
    dark = (above & (lightness < FRINGE_DARK * level) & ~features).astype(np.uint8)
    # Only what reaches in from beyond the outline's top (hair falls from above): a shade or a wrinkle
    # inside a forehead stays the person's.
    _, labels = cv2.connectedComponents(dark, connectivity=8)
    touching = np.unique(labels[(dark > 0) & ~inside])
    fringe = (np.isin(labels, touching[touching > 0]) & inside).astype(np.uint8)
    if not fringe.any():
        return moved, source_skin
    # With the strands' soft edges (half hair, half skin).
    fringe = (cv2.dilate(fringe, disc(max(1, round(FRINGE_GROW * size)))) > 0) & ~features
    own = (source_skin.probability[box] > 0.5) & (source_skin.covered[box] == 0) & ~features & inside & ~fringe
    if own.sum() < 16:
        return moved, source_skin
    take = fringe.astype(np.float32)
    alpha = np.maximum(take, cv2.GaussianBlur(take, (0, 0), max(1.0, COMPLETE_SEAM * size))) * ~features
    filled = moved.copy()
    filled[box] = blend.composite(image, _skin_fill(image, own, size), alpha.astype(np.float32))
    new_weights = source_skin.weights.copy()
    new_weights[box] *= 1.0 - take
    return filled, skin.SkinMap(probability=source_skin.probability, covered=source_skin.covered, weights=new_weights)


def fill_stray(
    moved: np.ndarray, moved_lm: np.ndarray, source_skin: skin.SkinMap, mask: np.ndarray, size: float
) -> np.ndarray:
    """The moved face with what the mask would bring of the person's photo beyond their face (see
    STRAY_SKIN) painted over with the smooth colour of their skin around it: nothing but their face comes
    along, even where the template's features reach past the person's cheek or eye."""
    painted = (mask > 0.02).astype(np.uint8)
    if not painted.any():
        return moved
    features = blend.fill(mask.shape, skin.feature_polygons(moved_lm) + skin.brow_polygons(moved_lm)).astype(np.uint8)
    features = dilate(features, max(1, round(STRAY_FEATURE_MARGIN * size))) > 0
    low = ((painted > 0) & (source_skin.probability < STRAY_SKIN) & ~features).astype(np.uint8)
    if not low.any():
        return moved
    # Only what comes in from outside the painted region: a shadow or a mole inside the face stays.
    outside = cv2.dilate(1 - painted, disc(1)) > 0
    _, labels = cv2.connectedComponents(low, connectivity=8)
    touching = np.unique(labels[outside & (low > 0)])
    stray = np.isin(labels, touching[touching > 0])
    if not stray.any():
        return moved
    own = (source_skin.probability > 0.5) & (source_skin.covered == 0) & ~features & (painted > 0) & ~stray
    if own.sum() < 16:
        return moved
    take = stray.astype(np.float32)
    alpha = np.maximum(take, cv2.GaussianBlur(take, (0, 0), max(1.0, COMPLETE_SEAM * size))) * ~features
    return blend.composite(moved, _skin_fill(moved, own, size), alpha.astype(np.float32))


def _skin_fill(image: np.ndarray, known: np.ndarray, size: float) -> np.ndarray:
    """Every pixel's colour made up from the known pixels (bool) around it: their mean under a Gaussian
    (normalised convolution), a wide one where too few are near for the narrow one. Worked out on a copy
    scaled so the face is COMPLETE_WORK_PX across (the result is smooth) and scaled back."""
    height, width = known.shape
    factor = min(1.0, COMPLETE_WORK_PX / max(size, 1.0))
    weight = shrink(known.astype(np.float32), factor)
    planes = shrink(image.astype(np.float32) * known[..., None], factor)
    result, cover = None, None
    for sigma in COMPLETE_FILL_SIGMAS:
        sigma = max(1.0, sigma * size * factor)
        total = cv2.GaussianBlur(weight, (0, 0), sigma)
        mean = cv2.GaussianBlur(planes, (0, 0), sigma) / np.maximum(total, 1e-6)[..., None]
        if result is None:
            result, cover = mean, np.clip(total / 0.2, 0.0, 1.0)[..., None]
        else:
            result = cover * result + (1.0 - cover) * mean
    result = cv2.resize(result, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(result, 0, 255).astype(np.uint8)


def painted_part(mask: np.ndarray, size: float) -> tuple[slice, slice] | None:
    """The part of the crop the mask paints, with room for the colour's blur around it; None if none."""
    ys, xs = np.nonzero(mask > 0)
    if len(xs) == 0:
        return None
    room = round(0.1 * size)
    height, width = mask.shape
    top, bottom = max(0, ys.min() - room), min(height, ys.max() + room + 1)
    left, right = max(0, xs.min() - room), min(width, xs.max() + room + 1)
    return slice(top, bottom), slice(left, right)


def recolour(
    moved: np.ndarray,
    moved_lm: np.ndarray,
    work: WorkArea,
    part: tuple[slice, slice],
    source_skin: skin.SkinMap,
    target_skin: skin.SkinMap,
    light: tuple[float, np.ndarray] | None,
    weight: np.ndarray | None = None,
    edge: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The painted part of the moved face in the template's light and colour (keeping the person's skin
    tone when light, the light's change from their photo to the template, is given; its lightness matched
    to the template's along the mask's edge where edge, see `edge_light`, says)."""
    dst = work.landmarks
    eye_distance = float(np.linalg.norm(dst[RIGHT_EYE].mean(axis=0) - dst[LEFT_EYE].mean(axis=0)))
    # The whites of the eyes and the teeth may stay brighter than any skin.
    inner = moved_lm - np.array([part[1].start, part[0].start], dtype=np.float32)
    features = [*blend.eye_polygons(inner), cv2.convexHull(inner[INNER_MOUTH])]
    protect = blend.fill((part[0].stop - part[0].start, part[1].stop - part[1].start), features)
    return colour.match_colour(
        moved[part],
        work.crop[part],
        source_skin.weights[part],
        target_skin.weights[part],
        eye_distance=eye_distance,
        protect=protect,
        keep_tone=light,
        tone_weight=weight,
        edge_light=None if edge is None else (*edge, EDGE_LIGHT_BLUR * work.size),
    )


def inner_depth(
    mask: np.ndarray, part: tuple[slice, slice], landmarks: np.ndarray, size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Over the painted part: how deep each pixel lies inside the mask (pixels, 0 outside it) and how far
    above the eyes (0 below their line, rising to 1 a tenth of the face's size above it, towards the
    brows): what the person's tone (tone_weight) and the edge's light match (edge_light) fade by."""
    inside = cv2.distanceTransform((mask[part] > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    offset = np.array([part[1].start, part[0].start], dtype=np.float32)
    lm = landmarks - offset
    eyes = lm[RIGHT_EYE + LEFT_EYE].mean(axis=0)
    up = lm[17:27].mean(axis=0) - lm[8]
    up = up / max(float(np.linalg.norm(up)), 1e-6)
    # (A row and a column, broadcast: the same values as full coordinate grids, without building them.)
    ys = np.arange(inside.shape[0], dtype=np.float32)[:, None]
    xs = np.arange(inside.shape[1], dtype=np.float32)[None, :]
    height = (xs - eyes[0]) * up[0] + (ys - eyes[1]) * up[1]
    return inside, np.clip(height / max(1.0, 0.1 * size), 0.0, 1.0)


def _fade_in(inside: np.ndarray, width: float) -> np.ndarray:
    """0 at the mask's edge rising smoothly to 1 at `width` pixels inside it."""
    t = np.clip(inside / max(1.0, width), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def edge_light(
    mask: np.ndarray,
    part: tuple[slice, slice],
    target_skin: skin.SkinMap,
    inside: np.ndarray,
    above: np.ndarray,
    size: float,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Where (and how far) the painted part's lightness is matched to the template's skin at the mask's
    edge (see colour.match_colour's edge_light): the soft edge on the template's uncovered skin, and a
    weight that is 1 at the edge above the eyes, fading out inwards over EDGE_LIGHT_DEPTH of the face's
    size and below the eyes, so the hairline and temples show no band of different brightness while the
    eyes, nose, mouth and cheeks keep all of their own light (inside, above: see inner_depth). None where
    the edge shows no skin."""
    edge_mask = mask[part]
    edge = (edge_mask > 0.05) & (edge_mask < 0.95)
    edge &= (target_skin.probability[part] > 0.5) & (target_skin.covered[part] == 0)
    if edge.sum() < 16:
        return None
    weight = (1.0 - _fade_in(inside, EDGE_LIGHT_DEPTH * size)) * above
    return edge, weight.astype(np.float32)


def tone_weight(inside: np.ndarray, above: np.ndarray, size: float) -> np.ndarray:
    """How far each pixel of the painted part takes the person's own tone: fully below the eyes; above
    them (forehead and hairline, where the template's skin goes on above the mask) rising from 0 at the
    mask's edge to 1 TONE_EDGE of the face's size inside it, so a person much darker or lighter than the
    template shows no edge across the forehead (inside, above: see inner_depth)."""
    return (1.0 - above * (1.0 - _fade_in(inside, TONE_EDGE * size))).astype(np.float32)


def paste_back(
    canvas: np.ndarray, work: WorkArea, recoloured: np.ndarray, mask: np.ndarray, part: tuple[slice, slice]
) -> None:
    """The recoloured face blended through the mask into the canvas (scaled back to full size first
    when the work crop was scaled down)."""
    x1, y1, _, _ = work.box
    if work.crop is work.full:
        canvas[y1 + part[0].start : y1 + part[0].stop, x1 + part[1].start : x1 + part[1].stop] = blend.composite(
            work.crop[part], recoloured, mask[part]
        )
        return
    face = work.crop.copy()
    face[part] = recoloured
    full_size = work.full.shape[1], work.full.shape[0]
    face = cv2.resize(face, full_size, interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(mask, full_size, interpolation=cv2.INTER_LINEAR)
    sx, sy = work.scale
    top, bottom = int(part[0].start / sy), min(work.full.shape[0], int(np.ceil(part[0].stop / sy)))
    left, right = int(part[1].start / sx), min(work.full.shape[1], int(np.ceil(part[1].stop / sx)))
    full_part = (slice(top, bottom), slice(left, right))
    canvas[y1 + top : y1 + bottom, x1 + left : x1 + right] = blend.composite(
        work.full[full_part], face[full_part], mask[full_part]
    )
