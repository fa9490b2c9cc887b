"""Two faces marked by hand in one save, in a 1280 px window, with plain words for where faces came from."""

import pytest
from django.urls import reverse

from templates.models import Template
from templates.tests.test_admin import change_data, change_url
from templates.tests.test_face_editor import FACES, draw_face, open_change_page, save
from testing.cast import face, make_template

pytestmark = pytest.mark.django_db


def test_two_faces_marked_by_hand_in_one_save(admin_client):
    template = make_template(faces=[], is_active=False)
    data = change_data(
        template,
        new_role="wife",
        new_x1="30", new_y1="40", new_x2="110", new_y2="130",
        new_kps="50,75 90,75 70,95 55,112 85,112",
        new2_role="husband",
        new2_x1="190", new2_y1="50", new2_x2="280", new2_y2="150",
        new2_kps="215,90 255,90 235,110 220,130 250,130",
        is_active="on",
    )  # fmt: skip
    response = admin_client.post(change_url(template), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    template = Template.objects.get(pk=template.pk)
    assert template.is_active and [f["role"] for f in template.face_positions] == ["wife", "husband"]
    assert all(f["source"] == "manual" for f in template.face_positions)


def test_where_each_face_came_from_in_plain_words(admin_client):
    detected = face(40, 60, 120, 140, role="husband")
    manual = face(200, 70, 270, 140, role="wife") | {"source": "manual"}
    page = admin_client.get(change_url(make_template(faces=[detected, manual]))).text
    assert "found by the detector" in page and "marked by hand" in page
    assert "(1.00)" not in page and "(0.99)" not in page


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_mark_two_faces_by_drawing_then_save_once_in_a_1280_px_window(live_server, curator, browser, artifacts_dir):
    template = make_template(title="Drawn pair", faces=[], is_active=False)
    page = open_change_page(browser, live_server, template, viewport=(1280, 900))
    for box, points, _ in FACES:
        draw_face(page, box, points)
        page.wait_for_timeout(800)  # the page scrolls smoothly to the row just filled
    page.select_option("#id_new_role", FACES[0][2])
    page.select_option("#id_new2_role", FACES[1][2])
    assert page.input_value("#id_new_x1") == "30" and page.input_value("#id_new2_x1") == "190"
    page.screenshot(path=artifacts_dir / "admin-two-faces-1280.png", full_page=True)
    # The face table (and the whole page) fits the window: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table = page.locator(".tpl-face-table").bounding_box()
    assert table["x"] + table["width"] <= 1280
    page.screenshot(path=artifacts_dir / "admin-two-faces-1280.png", full_page=True)
    page.check("#id_is_active")
    save(page)
    status = page.text_content(".tpl-admin-status")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.locator(".tpl-face-table").screenshot(path=artifacts_dir / "admin-face-table-1280.png")
    assert "Live in the gallery." in status
    template = Template.objects.get(pk=template.pk)
    assert [f["role"] for f in template.face_positions] == ["wife", "husband"]
    assert reverse("admin:couple_templates_template_change", args=[template.pk])
