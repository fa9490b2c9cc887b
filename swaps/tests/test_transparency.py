"""A transparent template, end to end: uploaded by an admin, swapped by the worker, shown and downloaded."""

import io

import cv2
import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from swaps.provenance import watermark
from swaps.services import swap_create, swap_run
from testing.cast import template_from_photo


def _cut_out_couple(faces_dir, tmp_path):
    """The shared couple photo as a cut-out PNG: an ellipse around the couple opaque with a soft edge, the
    corners fully transparent and coloured streaks hidden under them (what a careless editor leaves)."""
    rgb = np.asarray(PILImage.open(faces_dir / "couple_man_woman_closeup.jpg").convert("RGB")).copy()
    height, width = rgb.shape[:2]
    alpha = np.zeros((height, width), dtype=np.uint8)
    cv2.ellipse(alpha, (width // 2, height // 2), (int(width * 0.48), int(height * 0.47)), 0, 0, 360, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 4)
    streaks = np.random.default_rng(7).integers(0, 256, (height, 1, 3), dtype=np.uint8).repeat(width, axis=1)
    rgb[alpha == 0] = streaks[alpha == 0]
    rgba = np.dstack([rgb, alpha])
    path = tmp_path / "couple-cutout.png"
    PILImage.fromarray(rgba, mode="RGBA").save(path, "PNG")
    return path, rgba


def _stored(image) -> PILImage.Image:
    with image.file.open("rb") as fp:
        picture = PILImage.open(io.BytesIO(fp.read()))
        picture.load()
        return picture


def _transparent_swap(alice, alice_photos, faces_dir, tmp_path):
    path, rgba = _cut_out_couple(faces_dir, tmp_path)
    template = template_from_photo(path, title="Cut-out couple")
    assert np.array_equal(np.asarray(_stored(template.image)), rgba), "the template is stored as uploaded"
    task = swap_create(user=alice, template=template, husband_image=alice_photos[0], wife_image=alice_photos[1])
    return swap_run(task_id=task.pk), template, rgba


@pytest.mark.django_db
def test_a_transparent_template_gives_a_png_result_with_its_alpha(alice, alice_photos, faces_dir, tmp_path, client):
    task, template, rgba = _transparent_swap(alice, alice_photos, faces_dir, tmp_path)
    assert task.status == "completed", task.error_message
    image = task.result_image
    stored = _stored(image)
    assert stored.format == "PNG" and stored.mode == "RGBA"
    assert image.file.name.endswith(".png") and image.filename == f"swap-{task.pk}.png"
    assert image.has_alpha and image.content_type == "image/png"
    result = np.asarray(stored)
    assert np.array_equal(result[..., 3], rgba[..., 3]), "the result's alpha is the template's"
    # Outside the faces every opaque pixel is the template's; inside them the people's faces were painted.
    outside = rgba[..., 3] == 255
    assert outside[0, 0] == outside[-1, -1] == False  # noqa: E712  (numpy bools; the corners are cut away)
    for face in template.face_positions:
        x1, y1, x2, y2 = (int(v) for v in face["box"])
        w, h = x2 - x1, y2 - y1
        assert rgba[(y1 + y2) // 2, (x1 + x2) // 2, 3] == 255, "the faces are in the opaque part"
        outside[max(0, y1 - h // 2) : y2 + h // 2, max(0, x1 - w // 2) : x2 + w // 2] = False
        changed = np.abs(result[y1:y2, x1:x2, :3].astype(int) - rgba[y1:y2, x1:x2, :3]).max(axis=2) > 0
        assert changed.mean() > 0.4, "the face was swapped"
    # A close-up: the faces and their margins cover most of it, still some 16,000 opaque pixels are left.
    assert outside.sum() > 10_000
    # The invisible mark (the task's public id) changes every pixel a little: away from the faces the result is
    # exactly the template with the same mark, the hidden pixels included, and the mark reads back.
    marked = watermark.embed(rgba, task.public_id, order="rgb")
    assert not np.array_equal(marked, rgba)
    assert np.array_equal(result[outside], marked[outside])
    hidden = rgba[..., 3] == 0
    assert np.array_equal(result[hidden], marked[hidden]), "hidden pixels are the template's, marked"
    assert watermark.read(cv2.cvtColor(result, cv2.COLOR_RGBA2BGRA)).public_id == task.public_id

    thumbnail = PILImage.open(image.file.storage.open(image.thumbnail_key, "rb"))
    assert thumbnail.mode == "RGBA" and thumbnail.getpixel((0, 0))[3] == 0
    client.force_login(alice)
    download = client.get(image.get_download_url())
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert f'filename="swap-{task.pk}.png"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == image.file.storage.open(image.file.name, "rb").read()
    thumb = client.get(image.get_thumbnail_url())
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_result_page_shows_a_transparent_result_on_the_page_background(
    alice, alice_photos, faces_dir, tmp_path, site_server, browser, artifacts_dir
):
    task, template, _ = _transparent_swap(alice, alice_photos, faces_dir, tmp_path)
    assert task.status == "completed", task.error_message
    client = Client()
    client.force_login(alice)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site_server.url}])
    page = context.new_page()
    page.goto(f"{site_server.url}{task.get_absolute_url()}")
    result = page.locator("#result-image")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=result.element_handle())
    page.screenshot(path=artifacts_dir / "swap-result-transparent.png", full_page=True)
    # Where the picture is transparent the page shows through: the pixel at the picture's bottom-left corner
    # is the page background, not white and not black.
    box = result.bounding_box()
    corner = {"x": box["x"] + 20, "y": box["y"] + box["height"] - 24, "width": 4, "height": 4}
    shot = PILImage.open(io.BytesIO(page.screenshot(clip=corner))).convert("RGB")
    page_background = (251, 248, 252)  # --bg in site.css
    assert all(abs(a - b) <= 2 for a, b in zip(shot.getpixel((1, 1)), page_background, strict=True))
    # The tile in My swaps is the transparent thumbnail on the card.
    page.goto(f"{site_server.url}{reverse('swaps:list')}")
    tile = page.locator(".swap-card-link img").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=tile.element_handle())
    page.screenshot(path=artifacts_dir / "swap-list-transparent.png", full_page=True)
    # The template's own page: the cut-out on the page, not in the dark frame other templates get.
    page.goto(f"{site_server.url}{reverse('couple_templates:detail', args=[template.pk])}")
    frame = page.locator(".tpl-preview-frame")
    assert frame.evaluate("el => getComputedStyle(el).backgroundColor") == "rgba(0, 0, 0, 0)"
    page.screenshot(path=artifacts_dir / "template-transparent.png", full_page=True)
    context.close()
