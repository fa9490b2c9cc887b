"""A person's photo: every face found (small ones too, in pictures up to 12 MP), each with what to expect
of it, and a plain refusal for pictures too small to hold a face."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from faceengine import NoFaceError, face_quality, load_image
from testing import robustness

pytestmark = pytest.mark.slow


def test_the_casual_couple_photo_gives_both_faces(engine, faces_dir):
    # About 80 and 60 px across: the woman's face used to be left out as too small.
    faces = engine.person_faces(load_image(faces_dir / "couple_man_woman_casual.jpg"))
    assert len(faces) == 2
    man, woman = faces
    assert man.box[0] < woman.box[0] and man.box[1] < woman.box[1]  # tall man left and above
    assert "small" in face_quality(woman)


def test_the_group_of_six_gives_six_faces(engine, faces_dir):
    faces = engine.person_faces(load_image(faces_dir / "group_six_people.jpg"))
    assert len(faces) == 6
    centres = sorted(float(face.box[0] + face.box[2]) / 2 for face in faces)
    assert all(b - a > 60 for a, b in itertools.pairwise(centres))  # six different people


def test_small_faces_in_a_12_mp_photo_are_found(engine, faces_dir):
    casual = load_image(faces_dir / "couple_man_woman_casual.jpg")
    boxes = [face.box for face in engine.detect(casual, thorough=True)]
    # The couple shrunk so the woman's face is 40 px across, somewhere in a 4000x3000 photo.
    factor = 40 / min(float(box[2] - box[0]) for box in boxes)
    canvas, expected = robustness.in_canvas(robustness.canvas_background(faces_dir), casual, boxes, factor, "test")
    faces = engine.person_faces(canvas)
    assert len(faces) == 2
    assert all(any(robustness.matches(face, box) for face in faces) for box in expected)
    assert all(face_quality(face) == ["small"] for face in faces)


def test_a_small_face_is_taken_with_a_note(engine, faces_dir):
    face, notes = engine.source_face(load_image(faces_dir / "small_face_240p.jpg"), role="husband")
    assert face.size < 80
    size = f"{face.size:.0f} pixels across"
    assert notes == [f"The face in the husband photo is small ({size}); the result will be soft."]


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 160, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(("width", "height"), [(1, 1), (50, 1), (1, 50), (3, 3), (200, 20)])
def test_a_tiny_or_one_pixel_high_picture_gets_a_plain_refusal(engine, width, height):
    picture = load_image(_jpeg(width, height))
    message = f"is only {width}x{height} pixels, too small to show a face; please upload a larger photo."
    with pytest.raises(NoFaceError) as caught:
        engine.person_faces(picture)
    assert caught.value.message == f"This photo {message}"
    with pytest.raises(NoFaceError) as caught:
        engine.source_face(picture, role="wife")
    assert caught.value.message == f"The wife photo {message}"
    # The other passes just find nothing (dlib refuses some one-pixel-high arrays outright).
    assert engine.detect(picture) == [] and engine.detect(picture, thorough=True) == []
    assert engine.detect_person(np.ascontiguousarray(picture)) == []
