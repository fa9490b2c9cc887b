"""The admin's face editor in a real browser: mark two faces by hand by drawing, set roles, activate."""

import time

import pytest
from django.urls import reverse

from templates.models import Template
from testing.cast import PASSWORD, face, make_template

# Two faces drawn by hand on the 320x240 picture: box, the five key points, the role.
FACES = [
    ((30, 40, 110, 130), [(50, 75), (90, 75), (70, 95), (55, 112), (85, 112)], "wife"),
    ((190, 50, 280, 150), [(215, 90), (255, 90), (235, 110), (220, 130), (250, 130)], "husband"),
]


def draw_face(page, box, points) -> None:
    """Press "Mark a face by hand", drag the box, click the five points (picture 320x240)."""
    page.locator(".tpl-face-stage img").scroll_into_view_if_needed()
    page.click("[data-mark-face]")
    frame = page.locator(".tpl-face-stage img").bounding_box()  # measured after the click's scrolling
    scale = frame["width"] / 320

    def at(x, y):
        return frame["x"] + x * scale, frame["y"] + y * scale

    page.mouse.move(*at(box[0], box[1]))
    page.mouse.down()
    page.mouse.move(*at(box[2], box[3]), steps=6)
    page.mouse.up()
    for x, y in points:
        page.mouse.click(*at(x, y))


def editor_ready(page) -> None:
    """Wait until the page has loaded and face_editor.js (deferred) has taken over the stage: clicks made
    before that reach a page without the editor's listeners (a save's reload made this flaky under load)."""
    page.wait_for_load_state("load")
    page.wait_for_selector("[data-face-editor].is-enhanced", state="attached")


def save(page) -> None:
    """Press "Save and continue editing" and wait for the page it leads to."""
    with page.expect_navigation():
        page.click("input[name=_continue]")
    editor_ready(page)


def mark_face(page, box, points, role):
    editor_ready(page)
    draw_face(page, box, points)
    page.select_option("#id_new_role", role)


def open_change_page(browser, live_server, template, viewport=(1280, 900)):
    """The template's admin page, logged in as the curator through the admin's log-in form."""
    url = live_server.url + reverse("admin:couple_templates_template_change", args=[template.pk])
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(f"{live_server.url}/admin/login/?next={url}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    editor_ready(page)
    return page


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1024, 713), (900, 1600)])
def test_the_overlay_lies_exactly_on_a_large_picture(live_server, curator, browser, size):
    width, height = size
    template = make_template(faces=[face(100, 100, 400, 400, role="husband")], picture_size=size)
    # A laptop window: the stage used to grow wider than the picture it holds, stretching the overlay.
    page = open_change_page(browser, live_server, template, viewport=(1366, 900))
    # Measured once the picture is in and laid out (before that its box has no size of its own).
    page.wait_for_load_state("load")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=page.locator(".tpl-face-stage img").element_handle()
    )
    # The editor sizes its overlay when the picture has loaded: give it a moment (5 s at most) to settle.
    deadline = time.monotonic() + 5
    while True:
        picture = page.locator(".tpl-face-stage img").bounding_box()
        overlay = page.locator("svg.tpl-face-overlay").bounding_box()
        if all(abs(overlay[k] - picture[k]) <= 1 for k in picture) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    box = page.locator("svg.tpl-face-overlay .face-box").bounding_box()
    # Scaled down to fit the window, and the drawn box sits where the face is on the picture.
    assert picture["height"] <= 900 * 0.75 + 1 and picture["width"] < width
    for key in ("x", "y", "width", "height"):
        assert overlay[key] == pytest.approx(picture[key], abs=1)
    scale = picture["width"] / width
    assert box["x"] == pytest.approx(picture["x"] + 100 * scale, abs=3)
    assert box["width"] == pytest.approx(300 * scale, abs=4)
    assert picture["height"] == pytest.approx(height * scale, abs=2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_marking_faces_by_hand_in_the_browser_fills_the_form_and_activates(live_server, curator, browser):
    template = make_template(title="Drawn couple", faces=[], is_active=False)
    page = open_change_page(browser, live_server, template)
    assert "Cannot be activated yet:" in page.text_content(".tpl-admin-status")
    mark_face(page, *FACES[0])
    hint = page.text_content("[data-hint]")
    save(page)
    mark_face(page, *FACES[1])
    page.check("#id_is_active")
    save(page)
    status = page.text_content(".tpl-admin-status")
    drawn = page.locator("svg.tpl-face-overlay .face-box").count()

    assert (
        hint == "Face 1 is marked. Mark the other face the same way, or choose its role in the table below, then save."
    )
    assert "Live in the gallery." in status
    assert drawn == 2
    template = Template.objects.get(pk=template.pk)
    assert template.is_active is True
    assert [marked["role"] for marked in template.face_positions] == ["wife", "husband"]
    for marked, (box, points, _) in zip(template.face_positions, FACES, strict=True):
        assert marked["source"] == "manual" and marked["landmarks"] is None
        # Within a pixel or two of where the pointer went (screen pixels map back to picture pixels).
        assert marked["box"] == pytest.approx(box, abs=2)
        assert [c for point in marked["kps"] for c in point] == pytest.approx([c for pt in points for c in pt], abs=2)
