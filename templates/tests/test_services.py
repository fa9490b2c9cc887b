import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Image
from templates import services
from templates.models import Template
from testing.cast import COUPLE, face, make_template, picture_bytes, picture_upload

pytestmark = pytest.mark.django_db


def upload_of(path):
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/octet-stream")


@pytest.mark.slow
def test_template_create_stores_the_picture_detects_both_faces_and_proposes_husband_on_the_left(faces_dir):
    template = services.template_create(
        image_file=upload_of(faces_dir / "couple_man_woman_casual.jpg"),
        title="Casual evening",
        category="custom",
        artist="Someone",
        source_url="https://example.com/picture",
        tags=["cosy", "indoor"],
    )
    template.refresh_from_db()
    assert template.is_active is False
    assert template.image.image_type == "template"
    assert template.image.owner is None
    assert template.image.file.storage.exists(template.image.file.name)
    assert sorted(t.name for t in template.image.tags.all()) == ["cosy", "indoor"]
    assert template.face_count == 2
    husband, wife = template.face_for_role("husband"), template.face_for_role("wife")
    # The man stands on the left of this picture, the woman on the right.
    assert husband["box"][2] <= wife["box"][0] + 10
    assert husband["source"] == "detected" and len(husband["landmarks"]) == 68
    assert template.activation_problems() == []


def test_template_create_refuses_a_non_picture_and_keeps_nothing():
    with pytest.raises(ValidationError):
        services.template_create(
            image_file=SimpleUploadedFile("notes.jpg", b"just some text, not a picture"), title="Nope"
        )
    assert not Template.objects.exists()
    assert not Image.objects.exists()


def test_template_create_refuses_bad_fields_before_storing_anything():
    with pytest.raises(ValidationError) as info:
        services.template_create(image_file=picture_upload(), title="  ", source_url="not a url")
    assert set(info.value.message_dict) == {"title", "source_url"}
    assert not Image.objects.exists()


def test_the_same_picture_twice_is_refused_as_a_duplicate_and_the_copy_is_not_kept():
    data = picture_bytes()
    first = services.template_create(image_file=SimpleUploadedFile("a.png", data), title="First", detect=False)
    with pytest.raises(services.TemplateDuplicateError) as info:
        services.template_create(image_file=SimpleUploadedFile("b.png", data), title="Second", detect=False)
    assert info.value.existing == first
    assert "already template" in info.value.messages[0]
    assert Template.objects.count() == 1
    assert Image.objects.count() == 1


def test_set_roles_changes_roles_in_face_order_and_refuses_a_wrong_count():
    template = make_template(is_active=False)
    services.template_set_roles(template=template, roles=["wife", "husband"])
    template.refresh_from_db()
    assert [f["role"] for f in template.face_positions] == ["wife", "husband"]
    with pytest.raises(ValidationError, match="Give one role per face: the template has 2 faces, 1 roles"):
        services.template_set_roles(template=template, roles=["wife"])
    with pytest.raises(ValidationError, match="are all marked wife"):
        services.template_set_roles(template=template, roles=["wife", "wife"])


def test_activation_is_refused_without_both_roles_and_says_why():
    template = make_template(faces=[face(10, 10, 60, 60, role="husband"), face(100, 10, 150, 60)], is_active=False)
    with pytest.raises(ValidationError) as info:
        services.template_activate(template=template)
    assert info.value.messages == ["No face is marked wife: choose a role for each of the two faces (2 faces marked)."]
    template.refresh_from_db()
    assert template.is_active is False
    services.template_set_roles(template=template, roles=["husband", "wife"])
    services.template_activate(template=template)
    template.refresh_from_db()
    assert template.is_active is True


def test_an_active_template_cannot_lose_a_role_until_archived():
    template = make_template(is_active=True)
    with pytest.raises(ValidationError, match="archive it first"):
        services.template_set_roles(template=template, roles=["husband", None])
    services.template_archive(template=template)
    services.template_set_roles(template=template, roles=["husband", None])
    template.refresh_from_db()
    assert template.is_active is False
    assert not template.roles_complete


def test_set_faces_checks_the_picture_bounds():
    template = make_template(is_active=False)
    with pytest.raises(ValidationError, match="outside the 320x240 picture"):
        services.template_set_faces(template=template, faces=[face(300, 200, 400, 260)])


def test_propose_roles_takes_the_two_largest_detected_faces_husband_left():
    small = face(0, 0, 10, 10)
    right_big, left_big = face(200, 0, 280, 80), face(20, 0, 90, 70)
    faces = services.template_propose_roles([right_big, left_big, small])
    assert [f["role"] for f in faces] == ["wife", "husband", None]


def test_propose_roles_leaves_a_role_marked_by_hand_alone():
    manual = face(0, 0, 50, 50, role="wife", source="manual")
    faces = services.template_propose_roles([manual, face(100, 0, 160, 60), face(200, 0, 230, 30)])
    assert [f["role"] for f in faces] == ["wife", "husband", None]


@pytest.mark.slow
def test_detect_faces_again_keeps_faces_marked_by_hand_and_replaces_detected_ones():
    # A plain picture: the detector finds nothing, so the hand-marked face is all that remains.
    manual = face(10, 10, 60, 60, role="husband", source="manual")
    template = make_template(faces=[manual, face(100, 10, 150, 60, role="wife")], is_active=True)
    services.template_detect_faces(template=template)
    template.refresh_from_db()
    assert template.face_positions == [manual]
    # It lost its wife, so it was taken out of the gallery.
    assert template.is_active is False


def test_archive_takes_the_template_out_of_the_gallery():
    template = make_template(is_active=True, faces=COUPLE)
    services.template_archive(template=template)
    template.refresh_from_db()
    assert template.is_active is False


def test_set_tags_replaces_the_pictures_tags():
    template = make_template(tags=("old",))
    services.template_set_tags(template=template, tags=["beach", " sunset "])
    assert sorted(t.name for t in template.image.tags.all()) == ["beach", "sunset"]
