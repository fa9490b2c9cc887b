"""What people see in a swap, on the shared photos and the demo templates (crops of insightface's t1.jpg):
hair over a face stays, no over-bright patches, the mouth follows the source, drawn art keeps its hair.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceengine import swap_couple
from faceengine.shared.colour import to_lab
from faceengine.stages import drawn as acg
from testing import samples

pytestmark = pytest.mark.slow


def unchanged(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.abs(before.astype(int) - after.astype(int)).max(axis=-1) <= 2


def face_polygon_mask(shape, landmarks: np.ndarray) -> np.ndarray:
    """The template face as a swap may paint it: the jaw line and a band of forehead above the brows."""
    height = float(np.linalg.norm(landmarks[[19, 24]].mean(axis=0) - landmarks[8]))
    brows = landmarks[17:27] - [0, 0.12 * height]
    mask = np.zeros(shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.concatenate([landmarks[:17], brows[::-1]]).round().astype(np.int32)], 1)
    return mask > 0


def mouth_opening(engine, image: np.ndarray, box: np.ndarray) -> float:
    """How open the mouth in a face box is: the gap between the inner lips over the mouth's width."""
    lm = engine.detector.landmarks(image, box)
    gap = np.linalg.norm(lm[[61, 62, 63]].mean(axis=0) - lm[[67, 66, 65]].mean(axis=0))
    return float(gap / np.linalg.norm(lm[54] - lm[48]))


def test_the_demo_templates_match_seed_demo():
    from templates.management.commands.seed_demo import DEMO_TEMPLATES

    assert {spec["title"]: (spec["crop"], spec["roles"]) for spec in DEMO_TEMPLATES} == samples.DEMO_CROPS


def test_a_face_without_a_role_is_left_as_it_is(engine, photos, templates):
    # "Across the table": Rachel (wife), Monica behind (turned away, no role), Ross (husband).
    image, faces = templates["Across the table"]
    result, _ = swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=engine)
    others = [face for face in engine.detect(image) if not any(face.box[0] == f.box[0] for f in faces.values())]
    assert len(others) == 1
    x1, y1, x2, y2 = others[0].box.astype(int)
    assert np.array_equal(result[y1:y2, x1:x2], image[y1:y2, x1:x2])
    for face in faces.values():
        x1, y1, x2, y2 = face.box.astype(int)
        assert not np.array_equal(result[y1:y2, x1:x2], image[y1:y2, x1:x2])


@pytest.mark.parametrize("wife", ["angelina", "monica"])
def test_bangs_over_the_forehead_stay_the_templates(engine, photos, templates, wife):
    # The casual woman's black bangs come down to her brows; the swapped face goes under them.
    image, faces = templates["casual"]
    result, _ = swap_couple(image, faces, photos["brad"], photos[wife], engine=engine)
    lm = faces["wife"].landmarks
    height = float(lm[8, 1] - lm[27, 1])
    # The band ends a little above the brows: its lowest rows would hold the brows' own dark pixels, which
    # the swapped face replaces (more visibly since a lighter person keeps their lighter skin).
    top = int(lm[17:27, 1].min() - 0.06 * height)
    rows, cols = slice(int(faces["wife"].box[1] - 0.3 * height), top), slice(int(lm[0, 0]), int(lm[16, 0]))
    hair = to_lab(image[rows, cols])[..., 0] < 35
    assert hair.sum() > 500
    assert unchanged(image[rows, cols], result[rows, cols])[hair].mean() >= 0.97


@pytest.mark.parametrize("title", ["Table for two", "Winning hand"])
def test_the_blonde_womans_face_gets_no_over_bright_patch(engine, photos, templates, title):
    # The lead's demo: the astronaut onto the blonde woman whose hair covers her temple. Before, the colour
    # correction lit her forehead and brows almost white.
    image, faces = templates[title]
    result, _ = swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=engine)
    face = face_polygon_mask(image.shape, faces["wife"].landmarks)
    before, after = to_lab(image)[..., 0][face], to_lab(result)[..., 0][face]
    brighter = after > np.percentile(before, 99) + 6
    assert brighter.mean() < 0.01, f"{brighter.mean():.1%} of the face is brighter than any of her skin"


@pytest.mark.parametrize("title", ["Winning hand", "casual"])
def test_the_sources_backdrop_never_comes_along(engine, photos, templates, title):
    # Angelina's photo has a blue-violet backdrop right beside her turned face's far eye; neither woman's
    # skin is blue, so any blue inside the swapped face is the backdrop painted in.
    image, faces = templates[title]
    result, _ = swap_couple(image, faces, photos["biden"], photos["angelina"], engine=engine)
    face = face_polygon_mask(image.shape, faces["wife"].landmarks)
    assert (to_lab(image)[..., 2][face] < -5).sum() == 0
    assert (to_lab(result)[..., 2][face] < -5).sum() <= 2


@pytest.mark.parametrize(
    ("template", "husband", "wife", "role", "bound"),
    [
        ("casual", "ross", "monica", "husband", 0.33),  # Ross's far cheek is narrower than the man's
        ("casual", "ross", "monica", "wife", 0.25),  # hair along both of Monica's cheeks
        ("closeup", "obama", "monica", "wife", 0.3),  # Monica turned ~45 degrees from Angelina
    ],
)
def test_no_template_feature_shows_beside_a_turned_face(
    engine, photos, templates, template, husband, wife, role, bound
):
    # Where the person's photo has no skin to give inside the template's face (past a turned face's far
    # cheek, hair along a cheek), the template's own cheek stayed, and its mouth corner or eye edge showed
    # beside the person's: a ghosted double face. (On the code before pipeline.complete_face and
    # align.widen_outline: unchanged 0.38, 0.31 and 0.37 of the face; a mouth corner 10% and 38% unchanged.
    # A frontal person on the same faces leaves 0.16 to 0.23.)
    image, faces = templates[template]
    result, _ = swap_couple(image, faces, photos[husband], photos[wife], engine=engine)
    landmarks = faces[role].landmarks
    same = unchanged(image, result)
    assert same[face_polygon_mask(image.shape, landmarks)].mean() < bound
    radius = round(0.06 * np.linalg.norm(landmarks[16] - landmarks[0]))
    for corner in (48, 54):
        around = np.zeros(image.shape[:2], dtype=np.uint8)
        cv2.circle(around, tuple(int(v) for v in np.round(landmarks[corner])), radius, 1, -1)
        assert same[around > 0].mean() < 0.05, f"the template's mouth corner {corner} shows"


def test_no_dark_patch_on_the_cheek_beside_a_turned_face(engine, photos, templates):
    # Angelina is turned ~40 degrees from the Winning hand wife: widening her far cheek folded every bend,
    # and she was pasted unbent, her far cheek's shade a dark grey-blue patch on the wife's lit cheek by
    # the mouth (12 pixels here; none on the code before the widening nor with the bend kept). A patch is
    # darker than the rest of the swapped cheeks and than the template there, and much less yellow (b*)
    # than both: skin's own shading keeps its yellow, a backdrop's or a shaded photo's grey does not.
    image, faces = templates["Winning hand"]
    result, _ = swap_couple(image, faces, photos["biden"], photos["angelina"], engine=engine)
    landmarks = faces["wife"].landmarks
    shape = image.shape[:2]
    cheeks = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(cheeks, [np.concatenate([landmarks[:17], landmarks[[45, 42, 39, 36]]]).round().astype(np.int32)], 1)
    features = np.zeros(shape, dtype=np.uint8)
    for group in (slice(36, 42), slice(42, 48), slice(27, 36), slice(48, 60)):
        cv2.fillPoly(features, [cv2.convexHull(landmarks[group].astype(np.float32)).round().astype(np.int32)], 1)
    radius = max(1, round(0.02 * np.linalg.norm(landmarks[16] - landmarks[0])))
    cheeks &= 1 - cv2.dilate(features, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2))
    swapped = cv2.GaussianBlur(to_lab(result).astype(np.float32), (0, 0), 1.0)
    template = cv2.GaussianBlur(to_lab(image).astype(np.float32), (0, 0), 1.0)
    inside = cheeks > 0
    median = np.median(swapped[inside], axis=0)
    patch = (
        inside
        & (swapped[..., 0] < median[0] - 5)
        & (swapped[..., 0] < template[..., 0])
        & (swapped[..., 2] < median[2] - 8)
        & (swapped[..., 2] < template[..., 2] - 8)
    )
    assert patch.sum() <= 0.001 * inside.sum()


@pytest.mark.parametrize(
    ("template", "husband", "wife", "role", "person"),
    [
        ("Winning hand", "biden", "angelina", "husband", "biden"),  # closed mouth onto a laughing one
        # (Angelina onto the Winning hand wife: her lips just parted, hers closed, too alike to change.)
        ("closeup", "obama", "astronaut", "husband", "obama"),  # a wide smile onto a closed mouth
        ("closeup", "obama", "astronaut", "wife", "astronaut"),
    ],
)
def test_the_mouth_is_the_templates_open_or_closed(engine, photos, templates, template, husband, wife, role, person):
    image, faces = templates[template]
    result, _ = swap_couple(image, faces, photos[husband], photos[wife], engine=engine)
    source, _ = engine.source_face(photos[person], role=role)
    before = mouth_opening(engine, image, faces[role].box)
    own = mouth_opening(engine, photos[person], source.box)
    after = mouth_opening(engine, result, faces[role].box)
    # The template's expression stays (issue 20): its laugh or its closed lips, whatever the person's
    # photo does, and never half of each.
    assert abs(after - before) < 0.35 * abs(own - before), (
        f"the mouth is not the template's: {after:.2f} (template {before:.2f}, person {own:.2f})"
    )


def test_drawn_art_keeps_its_hair_and_its_own_eyes_once(engine, faces_dir, photos):
    image, faces = samples.drawn_template(faces_dir)
    result, _ = swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=engine)
    lab = to_lab(image)
    same = unchanged(image, result)
    for face in faces.values():
        x1, y1, x2, y2 = face.box.astype(int)
        box_lab, box_same = lab[y1:y2, x1:x2], same[y1:y2, x1:x2]
        # The bangs over the drawn forehead (pink hair in the box's top quarter) stay as drawn; the skin
        # showing between their strands takes the person's tone (so: not the drawn skin's colours).
        region = acg.drawn_face_region(box_lab, face.box - [x1, y1, x1, y1], face.kps - [x1, y1])
        palette = acg.drawn_palette(box_lab, region, face.kps - [x1, y1])
        tones = [palette.base, palette.shadow] + ([] if palette.blush is None else [palette.blush])
        skin_like = np.min([np.linalg.norm(box_lab - tone, axis=-1) for tone in tones], axis=0) < 25
        hair = (box_lab[..., 0] < 75) & (box_lab[..., 1] > 18) & ~skin_like
        hair[(y2 - y1) // 4 :] = False
        assert hair.sum() > 500 and box_same[hair].mean() >= 0.95
        # The eyes are the drawing's own (its large dark red irises, not a photo's eyes or generic ovals),
        # re-proportioned to the person's, and drawn once: about as much iris as drawn, never a second
        # eye peeking out beside the new one.
        after = to_lab(result)
        for x, y in face.kps[:2].astype(int):
            window = (slice(y - 12, y + 13), slice(x - 12, x + 13))
            drawn = ((lab[window][..., 0] < 40) & (lab[window][..., 1] > 20)).sum()
            now = ((after[window][..., 0] < 40) & (after[window][..., 1] > 20)).sum()
            assert drawn > 20 and 0.4 * drawn <= now <= 1.3 * drawn, (drawn, now)


def _hat_brim_shadow(photo: np.ndarray, landmarks: np.ndarray, factor: float = 0.6) -> np.ndarray:
    """The photo with everything above the eyes darkened to factor (a hat brim's shadow), a soft edge."""
    size = float(np.sqrt(np.ptp(landmarks[:, 0]) * np.ptp(landmarks[:, 1])))
    line = landmarks[36:48, 1].mean() - 0.05 * size
    ramp = np.clip((line - np.arange(photo.shape[0], dtype=np.float32)) / (0.03 * size), 0.0, 1.0)
    return np.clip(photo * (1.0 - (1.0 - factor) * ramp)[:, None, None], 0, 255).astype(np.uint8)


def test_a_shadow_over_the_persons_forehead_leaves_no_band_at_the_hairline(engine, photos, templates, monkeypatch):
    # The swapped forehead's lightness is matched to the template's skin along the mask's top edge
    # (pipeline.edge_light); without it, the shade in the photo shows as a darker band under the hairline.
    # (One shade can make the skin model take the forehead for hair, and nothing is painted there: so the
    # mean over three men and three depths of shade.)
    from faceengine.classic import pipeline
    from testing.skin_tone import forehead_step

    image, faces = templates["closeup"]

    def mean_step() -> float:
        steps = []
        for person in ("obama", "brad", "biden"):
            source, _ = engine.source_face(photos[person], role="husband")
            for factor in (0.6, 0.7, 0.8):
                shaded = _hat_brim_shadow(photos[person], source.landmarks, factor)
                result, _ = swap_couple(image, faces, shaded, photos["astronaut"], engine=engine)
                steps.append(abs(forehead_step(result, image, faces["husband"])))
        return float(np.mean(steps))

    assert mean_step() < 1.0
    monkeypatch.setattr(pipeline, "EDGE_LIGHT_DEPTH", 1e-6)
    assert mean_step() > 1.5


@pytest.mark.parametrize(("husband", "template"), [("brad", "Winning hand"), ("obama", "Table for two")])
def test_the_persons_fringe_leaves_no_band_across_the_forehead(engine, photos, templates, husband, template):
    # The astronaut's fringe comes down close to her brows, the blonde woman's brows in these templates lie
    # higher than hers: the swap reaches up into her fringe to cover them, and the tips of her hair came
    # along in its soft top edge, a ragged brown line over a pale strip across the forehead (strips 5.8 to
    # 6.2 L apart, with her photo mirrored or dimmed too); her hair is painted over with her forehead's skin
    # now (pipeline.fill_fringe): 2.8 to 3.6 apart.
    from testing import trait_variants
    from testing.skin_tone import forehead_bands

    image, faces = templates[template]
    for kind in ("original", "mirror", "dim"):
        photo = photos["astronaut"] if kind == "original" else trait_variants.transformed(photos["astronaut"], kind)
        result, _ = swap_couple(image, faces, photos[husband], photo, engine=engine)
        bands = forehead_bands(result, image, faces["wife"])
        assert bands is not None
        darkest, palest = bands
        assert palest - darkest < 4.5, (kind, bands)
