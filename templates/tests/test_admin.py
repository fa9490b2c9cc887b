import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery.models import Image
from templates.forms import kps_to_text
from templates.models import Template
from testing.cast import COUPLE, face, make_template, picture_upload

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:couple_templates_template_changelist")
ADD = reverse("admin:couple_templates_template_add")


def change_url(template: Template) -> str:
    return reverse("admin:couple_templates_template_change", args=[template.pk])


def change_data(template: Template, **overrides) -> dict:
    """The change form as the admin page would submit it unchanged."""
    data = {
        "title": template.title,
        "category": template.category or "",
        "artist": template.artist or "",
        "source_url": template.source_url or "",
        "description": template.description or "",
        "tags": "",
        "faces_seen": len(template.face_positions),
        "_save": "Save",
    }
    if template.is_active:
        data["is_active"] = "on"
    for i, f in enumerate(template.face_positions):
        data[f"face_{i}_role"] = f["role"] or ""
        data.update({f"face_{i}_{n}": v for n, v in zip(("x1", "y1", "x2", "y2"), f["box"], strict=True)})
        data[f"face_{i}_kps"] = kps_to_text(f["kps"])
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_list_shows_thumbnail_roles_complete_and_filters(admin_client):
    complete = make_template(title="Complete couple", tags=("beach",))
    make_template(title="Half couple", faces=[face(10, 10, 50, 50, role="husband")], is_active=False)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    text = response.text
    assert f'src="{complete.image.get_thumbnail_url()}"' in text
    assert text.count('alt="True"') >= 2  # roles complete + active for the complete couple
    assert "Complete couple" in text and "Half couple" in text
    by_tag = admin_client.get(CHANGELIST, {"tag": "beach"}).text
    assert "Complete couple" in by_tag and "Half couple" not in by_tag
    searched = admin_client.get(CHANGELIST, {"q": "half"}).text
    assert "Half couple" in searched and "Complete couple" not in searched
    inactive = admin_client.get(CHANGELIST, {"active": "no"}).text
    assert "Half couple" in inactive and "Complete couple" not in inactive


def test_add_with_a_direct_upload_creates_the_image_row_and_an_inactive_template(admin_client):
    response = admin_client.post(
        ADD,
        {
            "image_file": picture_upload("my scene.png"),
            "title": "Uploaded scene",
            "category": "custom",
            "artist": "",
            "source_url": "",
            "description": "",
            "tags": "sunset, beach",
            "_save": "Save",
        },
    )
    template = Template.objects.get(title="Uploaded scene")
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert template.image.image_type == "template" and template.image.owner is None
    assert template.image.filename.endswith(".png")
    assert sorted(t.name for t in template.image.tags.all()) == ["beach", "sunset"]
    assert template.is_active is False
    page = admin_client.get(change_url(template)).text
    assert "Cannot be activated yet:" in page
    assert "No faces are marked: detect faces again, or mark the husband and the wife by hand." in page


@pytest.mark.slow
def test_add_a_real_couple_photo_and_activate_at_once(admin_client, faces_dir):
    path = faces_dir / "couple_man_woman_closeup.jpg"
    admin_client.post(
        ADD,
        {
            "image_file": SimpleUploadedFile(path.name, path.read_bytes()),
            "title": "Red carpet",
            "category": "movie",
            "activate": "on",
            "_save": "Save",
        },
    )
    template = Template.objects.get(title="Red carpet")
    assert template.face_count == 2
    assert template.roles_complete
    assert template.is_active is True


def test_add_refuses_a_file_that_is_not_a_picture_and_stores_nothing(admin_client):
    response = admin_client.post(
        ADD,
        {"image_file": SimpleUploadedFile("scene.jpg", b"%PDF-1.4 not a picture"), "title": "Broken", "_save": "Save"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["image_file"]
    assert not Template.objects.exists() and not Image.objects.exists()


def test_change_page_draws_numbered_boxes_and_a_role_select_per_face(admin_client):
    template = make_template(faces=[*COUPLE, face(150, 150, 190, 190)])
    response = admin_client.get(change_url(template))
    text = response.text
    assert response.status_code == 200
    assert text.count('class="face-box"') == 3
    assert ">1 husband</text>" in text and ">2 wife</text>" in text and ">3</text>" in text
    assert len(re.findall(r'<select name="face_\d_role"', text)) == 3
    assert 'name="new_kps"' in text
    assert "js/couple_templates/face_editor.js" in text
    assert "Live in the gallery." in text


def test_change_roles_through_the_role_selects(admin_client):
    template = make_template(is_active=False)
    response = admin_client.post(change_url(template), change_data(template, face_0_role="wife", face_1_role="husband"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    template.refresh_from_db()
    assert [f["role"] for f in template.face_positions] == ["wife", "husband"]
    assert [f["source"] for f in template.face_positions] == ["detected", "detected"]


def test_switch_roles_button_shows_both_faces_and_swaps_the_partners(admin_client):
    template = make_template(is_active=True)
    page = admin_client.get(change_url(template)).text
    assert page.count('class="tpl-couple-face ') == 2 and 'name="_switch_roles"' in page
    response = admin_client.post(change_url(template), change_data(template, _switch_roles="1"))
    assert response.status_code == 302 and response["Location"] == change_url(template)
    template.refresh_from_db()
    assert [f["role"] for f in template.face_positions] == ["wife", "husband"]
    assert template.is_active  # still live, the other way round
    messages = [str(m) for m in admin_client.get(change_url(template)).context["messages"]]
    assert "The two people were switched: each face now takes the other partner." in messages


def test_mark_a_face_by_hand_with_the_coordinate_fields(admin_client):
    template = make_template(faces=[face(40, 60, 120, 140, role="husband")], is_active=False)
    data = change_data(
        template,
        new_role="wife",
        new_x1="200",
        new_y1="70",
        new_x2="270",
        new_y2="140",
        new_kps="215,98 249,98 235,112 225,126 245,126",
        is_active="on",
    )
    response = admin_client.post(change_url(template), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    template.refresh_from_db()
    assert template.face_count == 2
    wife = template.face_for_role("wife")
    assert wife == {
        "box": [200.0, 70.0, 270.0, 140.0],
        "kps": [[215.0, 98.0], [249.0, 98.0], [235.0, 112.0], [225.0, 126.0], [245.0, 126.0]],
        "landmarks": None,
        "score": 1.0,
        "role": "wife",
        "source": "manual",
    }
    assert template.is_active is True


def test_moving_a_detected_box_makes_it_a_manual_face(admin_client):
    template = make_template(is_active=False)
    response = admin_client.post(change_url(template), change_data(template, face_0_x1="30"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.face_positions[0]["box"][0] == 30.0
    assert template.face_positions[0]["source"] == "manual"


def test_bad_coordinates_are_refused_with_a_message_and_nothing_changes(admin_client):
    template = make_template(is_active=False)
    before = list(template.face_positions)
    response = admin_client.post(
        change_url(template),
        change_data(template, new_x1="10", new_y1="10", new_x2="50", new_y2="50", new_kps="12,20 40,20"),
    )
    assert response.status_code == 200
    assert "Give exactly five points, not 2." in response.text
    response = admin_client.post(change_url(template), change_data(template, face_0_x2="900"))
    assert "reaches outside the 320x240 picture" in response.text
    template.refresh_from_db()
    assert template.face_positions == before


def test_ticking_active_without_both_roles_shows_why(admin_client):
    template = make_template(faces=[face(40, 60, 120, 140, role="husband"), face(200, 70, 270, 140)], is_active=False)
    response = admin_client.post(change_url(template), change_data(template, is_active="on"))
    assert response.status_code == 200
    assert "It cannot be active yet:" in response.text
    assert "No face is marked wife" in response.text
    template.refresh_from_db()
    assert template.is_active is False


def test_unticking_active_archives_and_removing_a_face_works(admin_client):
    template = make_template(is_active=True)
    response = admin_client.post(change_url(template), change_data(template, is_active=None, face_1_delete="on"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.is_active is False
    assert template.face_count == 1


def test_action_activate_reports_each_refusal_with_its_reason(admin_client):
    ready = make_template(title="Ready", is_active=False)
    lonely = make_template(title="Lonely", faces=[face(10, 10, 50, 50, role="wife")], is_active=False)
    response = admin_client.post(
        CHANGELIST, {"action": "activate_templates", "_selected_action": [ready.pk, lonely.pk]}, follow=True
    )
    messages = messages_of(response)
    assert "Activated 1 template." in messages
    assert any(m.startswith("Not activated: “Lonely”: No face is marked husband") for m in messages)
    ready.refresh_from_db()
    lonely.refresh_from_db()
    assert ready.is_active is True and lonely.is_active is False


def test_action_archive(admin_client):
    templates = [make_template(title=f"Live {i}") for i in range(2)]
    response = admin_client.post(
        CHANGELIST, {"action": "archive_templates", "_selected_action": [t.pk for t in templates]}, follow=True
    )
    assert "Archived 2 templates." in messages_of(response)
    assert not Template.objects.filter(is_active=True).exists()


@pytest.mark.slow
def test_action_detect_faces_again(admin_client, faces_dir):
    path = faces_dir / "couple_man_woman_casual.jpg"
    from templates import services

    template = services.template_create(
        image_file=SimpleUploadedFile(path.name, path.read_bytes()), title="Casual", detect=False
    )
    assert template.face_count == 0
    response = admin_client.post(
        CHANGELIST, {"action": "detect_faces_again", "_selected_action": [template.pk]}, follow=True
    )
    assert "“Casual”: 2 faces found, husband and wife proposed." in messages_of(response)
    template.refresh_from_db()
    assert template.roles_complete


def test_images_admin_lists_pictures_with_thumbnails(admin_client):
    template = make_template(title="Pictured")
    response = admin_client.get(reverse("admin:gallery_image_changelist"), {"image_type__exact": "template"})
    assert response.status_code == 200
    assert f'src="{template.image.get_thumbnail_url()}"' in response.text


def test_crawl_task_admin_lists_tasks(admin_client):
    from templates.models import CrawlTask

    CrawlTask.objects.create(source_type="danbooru", search_query="couple smile")
    response = admin_client.get(reverse("admin:couple_templates_crawltask_changelist"))
    assert "couple smile" in response.text


def test_deleting_a_template_in_the_admin_removes_its_picture_too(admin_client, django_capture_on_commit_callbacks):
    template = make_template(title="Unwanted")
    image = template.image
    storage, key = image.file.storage, image.file.name
    assert storage.exists(key)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:couple_templates_template_delete", args=[template.pk]), {"post": "yes"}, follow=True
        )
    assert response.status_code == 200
    assert not Template.objects.filter(pk=template.pk).exists()
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not storage.exists(key)
