import pytest
from django.core.exceptions import ValidationError

from templates.models import Template, validate_face_positions
from testing.cast import COUPLE, face, make_template


def messages_for(value, **kwargs):
    with pytest.raises(ValidationError) as info:
        validate_face_positions(value, **kwargs)
    return info.value.messages


def test_a_valid_list_is_normalised():
    entry = {"box": [1, 2, 30, 40], "kps": [[5, 10], [20, 10], [12, 20], [8, 30], [22, 30]]}
    (normalised,) = validate_face_positions([entry])
    assert normalised == {
        "box": [1.0, 2.0, 30.0, 40.0],
        "kps": [[5.0, 10.0], [20.0, 10.0], [12.0, 20.0], [8.0, 30.0], [22.0, 30.0]],
        "landmarks": None,
        "score": 1.0,
        "role": None,
        "source": "detected",
    }
    assert validate_face_positions(None) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"box": [0, 0, 1, 1]}, "Face positions must be a list of faces, not dict."),
        ("[1, 2]", "Face positions must be a list of faces, not str."),
        ([[0, 0, 10, 10]], "Face 1 must be an object with box and kps, not list."),
        ([{**face(0, 0, 10, 10), "box": [0, 0, 10]}], "Face 1: box must be four numbers [x1, y1, x2, y2]."),
        ([{**face(0, 0, 10, 10), "box": [0, 0, "10", 10]}], "Face 1: box must be four numbers [x1, y1, x2, y2]."),
        ([{**face(0, 0, 10, 10), "box": [0, 0, float("nan"), 10]}], "Face 1: box must be four numbers"),
        ([{**face(0, 0, 10, 10), "box": [0, 0, True, 10]}], "Face 1: box must be four numbers"),
        ([{**face(0, 0, 10, 10), "box": [10, 0, 0, 10]}], "Face 1: box must have x1 < x2 and y1 < y2"),
        ([{**face(0, 0, 10, 10), "kps": [[1, 1]] * 4}], "Face 1: kps must be five [x, y] points"),
        ([{**face(0, 0, 10, 10), "kps": [[1, 1, 1]] * 5}], "Face 1: kps must be five [x, y] points"),
        ([{**face(0, 0, 10, 10), "landmarks": [[1, 1]] * 5}], "Face 1: landmarks must be 68 [x, y] points"),
        ([{**face(0, 0, 10, 10), "score": "high"}], "Face 1: score must be a number."),
        ([{**face(0, 0, 10, 10), "role": "bride"}], "Face 1: role must be husband, wife or null, not 'bride'."),
        ([{**face(0, 0, 10, 10), "source": "guessed"}], "Face 1: source must be detected or manual, not 'guessed'."),
        ([{**face(0, 0, 10, 10), "colour": "red"}], "Face 1 has unknown keys colour"),
        (
            [face(0, 0, 10, 10, role="wife"), face(20, 0, 30, 10), face(40, 0, 50, 10, role="wife")],
            "Faces 1 and 3 are all marked wife; a template has one husband and one wife.",
        ),
    ],
)
def test_bad_shapes_are_refused_with_a_message(value, expected):
    assert any(message.startswith(expected) for message in messages_for(value)), messages_for(value)


def test_every_problem_is_listed_with_the_face_number():
    messages = messages_for([face(0, 0, 10, 10), {"box": "x", "kps": []}])
    assert messages[0].startswith("Face 2: box must be four numbers")
    assert messages[1].startswith("Face 2: kps must be five")


def test_boxes_and_points_must_lie_inside_the_picture_when_its_size_is_known():
    assert messages_for([face(300, 10, 340, 50)], width=320, height=240) == [
        "Face 1: box [300.0, 10.0, 340.0, 50.0] reaches outside the 320x240 picture.",
        "Face 1: a key point lies outside the 320x240 picture.",
    ]
    assert validate_face_positions([face(300, 10, 320, 50)], width=320, height=240)


@pytest.mark.django_db
def test_save_validates_and_face_count_follows_the_list():
    template = make_template(faces=[face(0, 0, 10, 10)])
    assert template.face_count == 1
    template.face_positions = [*COUPLE, face(150, 150, 170, 170)]
    template.save(update_fields=["face_positions"])
    template.refresh_from_db()
    assert template.face_count == 3
    template.face_positions = [{"box": [1, 2]}]
    with pytest.raises(ValidationError):
        template.save()
    template.refresh_from_db()
    assert template.face_count == 3


@pytest.mark.django_db
def test_full_clean_reports_faces_outside_the_picture_on_the_field():
    template = make_template()
    template.face_positions = [face(300, 200, 400, 300, role="husband")]
    with pytest.raises(ValidationError) as info:
        template.full_clean()
    assert "reaches outside the 320x240 picture" in " ".join(info.value.message_dict["face_positions"])


@pytest.mark.parametrize(
    ("faces", "problem"),
    [
        ([], "No faces are marked: detect faces again, or mark the husband and the wife by hand."),
        ([face(0, 0, 10, 10, role="husband")], "No face is marked wife: choose a role for each of the two faces"),
        ([face(0, 0, 10, 10), face(20, 0, 30, 10)], "No face is marked husband or wife"),
    ],
)
def test_activation_problems_say_what_is_missing(faces, problem):
    assert Template(image_id=1, face_positions=faces).activation_problems()[0].startswith(problem)


def test_activation_problems_for_a_complete_couple_and_for_a_template_without_picture():
    assert Template(image_id=1, face_positions=COUPLE).activation_problems() == []
    assert Template(face_positions=COUPLE).activation_problems() == ["It has no picture."]
    assert Template(image_id=1, face_positions=COUPLE).roles_complete
    assert not Template(image_id=1, face_positions=COUPLE[:1]).roles_complete


def test_focus_keeps_the_faces_in_a_cropped_card():
    from gallery.models import Image

    tall = Image(pk=1, width=400, height=800)  # a portrait picture: the 4:3 card shows 37.5% of its height
    template = Template(image=tall, face_positions=[face(50, 40, 150, 140, role="husband")])
    # The face (y 40-140) is at the very top: the window starts at the top edge.
    assert template.focus() == "50% 0%"
    template.face_positions = [face(50, 600, 150, 700, role="husband")]
    assert template.focus() == "50% 100%"
    template.face_positions = [face(50, 350, 150, 450, role="husband")]
    assert template.focus() == "50% 50%"
    assert Template(face_positions=[]).focus() == "50% 35%"
