"""A template's page shows the picture at its own size: never stretched past it, shrunk only to fit."""

import pytest
from django.urls import reverse

from testing.cast import face, make_template


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "shown"), [((405, 500), 405), ((2400, 1600), None)])
def test_the_template_page_shows_the_picture_at_its_own_size(live_server, browser, size, shown):
    template = make_template(faces=[face(60, 60, 160, 160, role="husband")], picture_size=size)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(live_server.url + reverse("couple_templates:detail", args=[template.pk]))
    picture = page.locator(".tpl-preview-frame img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    box = picture.bounding_box()
    frame = page.locator(".tpl-preview-frame").bounding_box()
    if shown is not None:
        assert box["width"] == pytest.approx(shown, abs=1)  # a 405-px picture is not stretched to the column
    else:
        assert box["width"] < size[0]  # a large one is shrunk to fit the page
        assert box["height"] == pytest.approx(box["width"] * size[1] / size[0], abs=2)
    # The frame hugs the picture, so the role markers (in percentages of it) stay on the faces.
    assert frame["width"] == pytest.approx(box["width"], abs=1)
    marker = page.locator(".tpl-role-marker").bounding_box()
    scale = box["width"] / size[0]
    assert marker["x"] - box["x"] == pytest.approx(60 * scale, abs=2)
    page.close()
