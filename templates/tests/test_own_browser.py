"""Own templates in a real browser (desktop and phone): a scene of two people tapped and swapped, a drawn
scene marked with three clicks per face, a three-person scene with two picked, a suggestion approved in the
admin, and another person who never sees a private template. Faces are found, and swaps made, by a real
worker on the swaps queue."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from PIL import Image as PILImage
from playwright.sync_api import expect

from templates.models import Template
from testing.cast import log_in, user_create
from testing.fixtures_browser import DESKTOP, PHONE
from testing.samples import TADNE_FACES

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def three_people(faces_dir) -> bytes:
    """A couple's photo beside a third person's portrait, 600 px high: three faces the detector finds."""
    couple = PILImage.open(faces_dir / "couple_man_woman_casual.jpg").convert("RGB")
    third = PILImage.open(faces_dir / "man_single_obama.jpg").convert("RGB")
    couple = couple.resize((round(couple.width * 600 / couple.height), 600))
    third = third.resize((round(third.width * 600 / third.height), 600))
    canvas = PILImage.new("RGB", (couple.width + third.width, 600), "white")
    canvas.paste(couple, (0, 0))
    canvas.paste(third, (couple.width, 0))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    return out.getvalue()


def open_page(browser, viewport, base_url: str, username: str):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, username, base_url=base_url)
    return page


def upload_scene(page, base_url: str, files) -> int:
    """From the gallery's "Use your own picture": upload the scene, wait for the face search; its id."""
    page.goto(f"{base_url}/templates/")
    page.locator("a.own-picture-link").click()
    expect(page.locator(".terms")).to_contain_text("right to use")
    page.set_input_files("#id_picture", files=files)
    page.get_by_role("button", name="Upload and find the faces").click()
    page.wait_for_url("**/templates/mine/*/")
    # The page follows the search and shows the rings once it is done.
    expect(page.locator("[data-mark-three]")).to_be_visible(timeout=90_000)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def tap(page, index: int) -> None:
    page.locator(f'[data-face="{index}"] ellipse').click()


def click_picture(page, x: float, y: float, width: int, height: int) -> None:
    """A click at a point of the picture given in its own pixels."""
    overlay = page.locator("[data-overlay]")
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    page.mouse.click(box["x"] + x * box["width"] / width, box["y"] + y * box["height"] / height)


def checked(page, role: str) -> str | None:
    box = page.locator(f"input[name={role}]:checked")
    return box.get_attribute("value") if box.count() else None


def swap_with(page, faces_dir, artifacts_dir, name: str) -> None:
    """From the own page: use the scene, add both photos, swap, and see the finished result."""
    page.get_by_role("button", name="Use this scene").click()
    page.wait_for_url("**/swaps/new/*/")
    for role, photo in (("husband", "man_single_obama.jpg"), ("wife", "woman_single_astronaut.png")):
        page.set_input_files(f"#id_{role}_upload", str(faces_dir / photo))
        expect(page.locator(f"fieldset[data-role={role}] .face-check")).to_contain_text("We found the face")
    page.get_by_role("button", name="Swap our faces in").click()
    page.wait_for_url("**/swaps/*/")
    # When the swap is done the result takes the progress's place on the page (no reload).
    expect(page.locator("#result-image")).to_be_visible(timeout=120_000)
    expect(page.locator("#result-image")).to_be_visible(timeout=30_000)
    page.screenshot(path=artifacts_dir / f"{name}-result.png", full_page=True)


@VIEWPORTS
def test_own_scene_with_two_people_tapped_switched_and_swapped(
    rq_worker, site_server, browser, faces_dir, artifacts_dir, viewport
):
    user_create(username="sam")
    size = "phone" if viewport is PHONE else "desktop"
    page = open_page(browser, viewport, site_server.url, "sam")
    upload_scene(page, site_server.url, str(faces_dir / "couple_man_woman_casual.jpg"))
    expect(page.locator("[data-face]")).to_have_count(2)
    expect(page.locator("[data-message]")).to_contain_text("two faces")
    tap(page, 1)
    tap(page, 0)
    assert (checked(page, "you"), checked(page, "partner")) == ("1", "0")
    expect(page.locator('[data-face="1"]')).to_have_class("own-face role-husband")
    page.get_by_role("button", name="Switch").click()
    assert (checked(page, "you"), checked(page, "partner")) == ("0", "1")
    page.screenshot(path=artifacts_dir / f"own-scene-{size}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    swap_with(page, faces_dir, artifacts_dir, f"own-scene-{size}")


@VIEWPORTS
def test_drawn_scene_marked_with_three_clicks_each_and_swapped(
    rq_worker, site_server, browser, faces_dir, artifacts_dir, viewport
):
    user_create(username="mika")
    size = "phone" if viewport is PHONE else "desktop"
    page = open_page(browser, viewport, site_server.url, "mika")
    pk = upload_scene(page, site_server.url, str(faces_dir / "anime_two_girls_tadne.jpg"))
    try:
        known = Template.objects.get(pk=pk).face_count
    finally:
        connection.close()
    assert known == 0, "the detector now finds these drawn faces; pick a picture it does not"
    expect(page.locator("[data-message]")).to_contain_text("three clicks")
    for role in ("husband", "wife"):
        kps = TADNE_FACES[role]["kps"]
        mouth = ((kps[3][0] + kps[4][0]) / 2, (kps[3][1] + kps[4][1]) / 2)
        page.get_by_role("button", name="Mark a face: 3 clicks").click()
        for x, y in (kps[0], kps[1], mouth):
            click_picture(page, x, y, 512, 512)
    expect(page.locator("[data-face]")).to_have_count(2)
    assert (checked(page, "you"), checked(page, "partner")) == ("0", "1")
    page.screenshot(path=artifacts_dir / f"own-drawn-{size}.png", full_page=True)
    swap_with(page, faces_dir, artifacts_dir, f"own-drawn-{size}")
    try:
        faces = Template.objects.get(pk=pk).face_positions
    finally:
        connection.close()
    # The marked faces are where the curators' hand-marked ones are (a few pixels of rounding).
    for face, role in zip(faces, ("husband", "wife"), strict=True):
        assert face["source"] == "manual" and face["role"] == role
        assert all(abs(a - b) < 3 for a, b in zip(face["kps"][0], TADNE_FACES[role]["kps"][0], strict=True))


@VIEWPORTS
def test_three_person_scene_with_two_picked(rq_worker, site_server, browser, faces_dir, artifacts_dir, viewport):
    user_create(username="kai")
    size = "phone" if viewport is PHONE else "desktop"
    page = open_page(browser, viewport, site_server.url, "kai")
    pk = upload_scene(
        page, site_server.url, [{"name": "three.jpg", "mimeType": "image/jpeg", "buffer": three_people(faces_dir)}]
    )
    expect(page.locator("[data-face]")).to_have_count(3)
    expect(page.locator("[data-message]")).to_contain_text("3 faces")
    try:
        faces = Template.objects.get(pk=pk).face_positions
    finally:
        connection.close()
    # The person picks the rightmost two (the proposal was the two largest).
    order = sorted(range(3), key=lambda i: faces[i]["box"][0])
    tap(page, order[1])
    tap(page, order[2])
    assert (checked(page, "you"), checked(page, "partner")) == (str(order[1]), str(order[2]))
    page.screenshot(path=artifacts_dir / f"own-three-{size}.png", full_page=True)
    swap_with(page, faces_dir, artifacts_dir, f"own-three-{size}")
    try:
        faces = Template.objects.get(pk=pk).face_positions
    finally:
        connection.close()
    assert [faces[i]["role"] for i in order] == [None, "husband", "wife"]


def own_template_of(user, faces_dir, *, title: str) -> Template:
    """A finished own template of the couple photo (its faces found as the worker finds them)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from templates import own_services

    path = faces_dir / "couple_man_woman_casual.jpg"
    template = own_services.own_template_create(
        owner=user, file=SimpleUploadedFile(path.name, path.read_bytes()), title=title
    )
    own_services.own_faces_run(template_id=template.pk)
    template.refresh_from_db()
    return template


@VIEWPORTS
def test_suggest_then_admin_approval_makes_it_public_with_attribution(
    site_server, browser, curator, faces_dir, artifacts_dir, viewport
):
    alice = user_create(username="alice")
    try:
        own = own_template_of(alice, faces_dir, title="Kitchen dance")
    finally:
        connection.close()
    size = "phone" if viewport is PHONE else "desktop"
    page = open_page(browser, viewport, site_server.url, "alice")
    page.goto(f"{site_server.url}/templates/mine/")
    card = page.locator(f"[data-own-template='{own.pk}']")
    card.get_by_role("link", name="Suggest for the gallery").click()
    page.wait_for_url("**/suggest/")
    page.fill("#id_title", "Kitchen dance")
    page.fill("#id_artist", "Alice Example")
    page.fill("#id_source_url", "https://example.com/kitchen")
    page.get_by_role("button", name="Suggest it").click()
    expect(page.locator(".errorlist, .message.error").first).to_contain_text("Confirm that you have the right")
    page.check("#id_licence")
    page.get_by_role("button", name="Suggest it").click()
    page.wait_for_url("**/templates/mine/")
    expect(card).to_contain_text("waiting for a curator")

    admin = open_page(browser, DESKTOP, site_server.url, "curator")
    admin.goto(f"{site_server.url}/admin/couple_templates/crawledtemplate/")
    row = admin.locator("tr", has_text="Kitchen dance")
    expect(row).to_contain_text("Suggested by alice")
    row.locator("input[name=_selected_action]").check()
    admin.select_option("select[name=action]", "approve_templates")
    admin.locator("button[name=index]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Approved")

    visitor = browser.new_page(viewport=viewport)
    visitor.goto(f"{site_server.url}/templates/?q=kitchen")
    visitor.locator(f"a.tpl-card-link[href='/templates/{own.pk}/']").click()
    expect(visitor.locator(".tpl-artist")).to_contain_text("Alice Example")
    expect(visitor.locator(".tpl-submitter")).to_contain_text("Suggested by alice")
    visitor.screenshot(path=artifacts_dir / f"own-suggested-public-{size}.png", full_page=True)
    try:
        own.refresh_from_db()
        assert own.owner_id is None and own.submitted_by_id == alice.pk and own.is_active
    finally:
        connection.close()


@VIEWPORTS
def test_another_person_never_sees_a_private_template(site_server, browser, faces_dir, viewport):
    alice = user_create(username="alice")
    user_create(username="bob")
    try:
        own = own_template_of(alice, faces_dir, title="Only ours")
        picture, thumbnail = own.image.get_file_url(), own.image.get_thumbnail_url()
    finally:
        connection.close()
    owner = open_page(browser, viewport, site_server.url, "alice")
    assert owner.goto(f"{site_server.url}{picture}").status == 200
    page = open_page(browser, viewport, site_server.url, "bob")
    for url in (f"/templates/mine/{own.pk}/", f"/templates/{own.pk}/", f"/swaps/new/{own.pk}/", picture, thumbnail):
        assert page.goto(f"{site_server.url}{url}").status == 404, url
    for query in ("", "?q=only+ours", "?category=custom"):
        page.goto(f"{site_server.url}/templates/{query}")
        expect(page.locator("main")).not_to_contain_text("Only ours")
    page.goto(f"{site_server.url}/templates/mine/")
    expect(page.locator("main")).not_to_contain_text("Only ours")
