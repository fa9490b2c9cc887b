"""How a swapped face sits in its template, measured as the look table measures it (testing/look.py): pose,
mouth, foreign colour, sharpness and size; and the measures themselves, validated against a hard paste."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceengine import swap_couple
from faceengine.shared.mesh import FaceMesher, mesh_pose, mouth_openness
from testing import look, samples

pytestmark = pytest.mark.slow


def _swap(engine, templates, photos, template, husband, wife):
    image, faces = templates[template]
    result, _ = swap_couple(image, faces, photos[husband], photos[wife], engine=engine)
    return image, faces, result


def test_the_mesh_gives_the_heads_turn_as_the_landmarks_do(engine, photos):
    from faceengine.landmarks import estimate_pose

    mesher = FaceMesher()
    for name in ("obama", "angelina", "monica"):
        face, _ = engine.source_face(photos[name], role="person")
        points = mesher.mesh(photos[name], face.box)
        assert points is not None and points.shape == (478, 3)
        # The same direction and about the same size of turn as dlib's 68 points say.
        yaw, dlib_yaw = mesh_pose(points).yaw, estimate_pose(face.landmarks).yaw
        assert abs(yaw - dlib_yaw) < 12, (name, yaw, dlib_yaw)


@pytest.mark.parametrize("husband,wife", [("obama", "astronaut"), ("obama", "monica"), ("biden", "angelina")])
def test_a_turned_template_face_keeps_its_turn(engine, photos, templates, husband, wife):
    # The closeup's wife looks about 22 degrees to the side; every person put there keeps that turn.
    image, faces, result = _swap(engine, templates, photos, "closeup", husband, wife)
    measured = look.measure(result, image, faces["wife"])
    assert measured is not None and abs(measured.yaw) <= 5.0, measured


@pytest.mark.parametrize("moved_along_the_mesh", [False, True])
def test_a_closed_mouth_template_keeps_its_closed_mouth_with_a_smiling_person(
    engine, photos, templates, moved_along_the_mesh
):
    # The closeup's wife has her lips closed; the astronaut smiles with her teeth showing. The default
    # engine keeps the template's mouth (pipeline.follow_expression); so does the mesh move.
    image, faces = templates["closeup"]
    swapper = engine.variant(mesh_move=True) if moved_along_the_mesh else engine
    result, _ = swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=swapper)
    mesher = FaceMesher()
    template_mouth = mouth_openness(mesher.mesh(image, faces["wife"].box))
    source, _ = engine.source_face(photos["astronaut"], role="wife")
    own = mouth_openness(mesher.mesh(photos["astronaut"], source.box))
    after = mouth_openness(mesher.mesh(result, faces["wife"].box))
    assert template_mouth < 0.02 and own > 0.05
    # Within the look table's target of the template's (0.05 of the face's height), and well closed from
    # the smile.
    assert after - template_mouth <= 0.05 and after < 0.6 * own, f"the smile came along: {after:.3f}"


def test_a_laughing_template_keeps_its_open_mouth_with_a_person_whose_lips_are_closed(engine, photos, templates):
    # The casual snapshot's wife laughs with her teeth showing; Angelina's lips are closed. The result
    # laughs as the template does (her lips round the template's teeth), and it is still her.
    from testing.identity import SAME_PERSON, descriptor, distance

    image, faces = templates["casual"]
    result, _ = swap_couple(image, faces, photos["brad"], photos["angelina"], engine=engine)
    mesher = FaceMesher()
    template_mouth = mouth_openness(mesher.mesh(image, faces["wife"].box))
    after = mouth_openness(mesher.mesh(result, faces["wife"].box))
    assert template_mouth > 0.07
    assert abs(after - template_mouth) <= 0.05, f"the laugh was lost: {after:.3f} against {template_mouth:.3f}"
    source, _ = engine.source_face(photos["angelina"], role="wife")
    own = descriptor(photos["angelina"], source.box)
    assert distance(descriptor(result, faces["wife"].box), own) < SAME_PERSON


def test_a_saturated_backdrop_leaves_no_colour_in_the_face(engine, photos, templates):
    # Obama's portrait with everything beyond his face's oval painted magenta (a studio backdrop), put
    # onto the closeup's husband (turned: his far cheek reaches past what the photo shows of Obama's).
    photo = photos["obama"].copy()
    face, _ = engine.source_face(photo, role="husband")
    x1, y1, x2, y2 = face.box
    ys, xs = np.mgrid[0 : photo.shape[0], 0 : photo.shape[1]]
    centre, half = ((x1 + x2) / 2, (y1 + y2) / 2), ((x2 - x1) * 0.62, (y2 - y1) * 0.75)
    outside = ((xs - centre[0]) / half[0]) ** 2 + ((ys - centre[1]) / half[1]) ** 2 > 1
    photo[outside] = (255, 0, 255)
    image, faces = templates["closeup"]
    result, _ = swap_couple(image, faces, photo, photos["astronaut"], engine=engine)
    measured = look.measure(result, image, faces["husband"])
    assert measured is not None and measured.foreign <= 0.01, measured
    # And plainly: no magenta-ish pixel in the template's face.
    from faceengine.shared import blend
    from faceengine.util import fill_polygons

    inside = fill_polygons(result.shape[:2], [blend.face_outline(faces["husband"].landmarks)]) > 0
    hsv = cv2.cvtColor(result, cv2.COLOR_RGB2HSV)
    magenta = (np.abs(hsv[..., 0].astype(int) - 150) < 12) & (hsv[..., 1] > 120)
    assert magenta[inside].mean() <= 0.01


@pytest.mark.parametrize("factor", [1, 3])
def test_the_result_is_the_templates_size(engine, photos, templates, factor):
    image, faces = samples.scaled_template(*templates["closeup"], factor)
    result, _ = swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=engine)
    assert result.shape == image.shape


@pytest.mark.parametrize(
    "template,husband,wife,role",
    [
        ("casual", "brad", "angelina", "wife"),  # a sharp portrait onto a soft, small face
        ("closeup", "obama", "astronaut", "wife"),  # a 512-px photo enlarged onto a sharp, large face
    ],
)
def test_the_swapped_face_is_as_sharp_as_the_picture_around_it(
    engine, photos, templates, template, husband, wife, role
):
    image, faces, result = _swap(engine, templates, photos, template, husband, wife)
    measured = look.measure(result, image, faces[role])
    assert measured is not None and 0.75 <= measured.sharpness <= 1.35, measured


def test_the_look_measures_rank_a_hard_paste_worst_and_the_template_best(engine, photos, templates):
    image, faces = templates["closeup"]
    people = {"husband": photos["obama"], "wife": photos["astronaut"]}
    sources = {role: engine.source_face(people[role], role=role)[0] for role in people}
    pasted = look.hard_paste(image, faces, people, sources)
    swapped, _ = swap_couple(image, faces, people["husband"], people["wife"], engine=engine)
    for role in ("husband", "wife"):
        itself = look.measure(image, image, faces[role])
        paste = look.measure(pasted, image, faces[role])
        swap = look.measure(swapped, image, faces[role])
        assert (itself.yaw, itself.mouth, itself.foreign, itself.seam, itself.sharpness) == (0, 0, 0, 1, 1)
        assert paste.seam > swap.seam > 0.8
        assert abs(np.log(paste.sharpness)) > abs(np.log(swap.sharpness))
        assert abs(paste.yaw) + abs(paste.pitch) > abs(swap.yaw) + abs(swap.pitch)


def _backdrop_made_green(photo: np.ndarray) -> np.ndarray:
    """Brad's photo with its blue-grey backdrop (everything bluer than skin ever is) painted saturated green:
    any of it that reaches the swapped face is then unmistakable."""
    lab = cv2.cvtColor(photo, cv2.COLOR_RGB2LAB).astype(np.int16)
    backdrop = lab[..., 2] < 118  # b* below -10: blue, never skin
    backdrop = cv2.morphologyEx(backdrop.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    green = photo.copy()
    green[backdrop] = (0, 200, 0)
    return green


def test_a_turned_persons_backdrop_beside_the_far_eye_and_cheek_stays_out(engine, photos, templates):
    # Brad is turned; on "Winning hand" the template man's eyes and cheek reach past Brad's far cheek,
    # where his photo shows only its backdrop (it came along as blue patches beside his eye and on his
    # cheek). Painted green, none of that backdrop may reach the face.
    from faceengine.shared import blend
    from faceengine.util import fill_polygons

    photo = _backdrop_made_green(photos["brad"])
    image, faces = templates["Winning hand"]
    result, _ = swap_couple(image, faces, photo, photos["astronaut"], engine=engine)
    inside = fill_polygons(result.shape[:2], [blend.face_outline(faces["husband"].landmarks)]) > 0
    hsv = cv2.cvtColor(result, cv2.COLOR_RGB2HSV)
    before = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    greenish = (np.abs(hsv[..., 0].astype(int) - 60) < 20) & (hsv[..., 1] > 60)
    greenish &= ~((np.abs(before[..., 0].astype(int) - 60) < 20) & (before[..., 1] > 60))
    assert greenish[inside].sum() <= 0.002 * inside.sum(), f"{greenish[inside].sum()} green pixels in the face"


def test_a_template_face_looking_down_lowers_the_persons_lids(engine, photos, templates):
    # "Winning hand"'s woman looks down at her cards, lids lowered (one nearly shut); the astronaut looks
    # at the camera, eyes wide. The result's lids are lowered to the template's opening (within the look
    # table's target), and it is still the astronaut.
    from faceengine.shared.mesh import eye_openness
    from testing.identity import SAME_PERSON, descriptor, distance

    image, faces = templates["Winning hand"]
    result, _ = swap_couple(image, faces, photos["brad"], photos["astronaut"], engine=engine)
    mesher = FaceMesher()
    template_eyes = eye_openness(mesher.mesh(image, faces["wife"].box))
    after = eye_openness(mesher.mesh(result, faces["wife"].box))
    source, _ = engine.source_face(photos["astronaut"], role="wife")
    own = eye_openness(mesher.mesh(photos["astronaut"], source.box))
    assert own - template_eyes > 0.05
    assert after - template_eyes <= 0.05, f"the eyes stayed wide open: {after:.3f} against {template_eyes:.3f}"
    assert distance(descriptor(result, faces["wife"].box), descriptor(photos["astronaut"], source.box)) < SAME_PERSON
