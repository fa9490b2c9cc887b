"""“Report this picture” on shared pages: no login, rate-limited per address, the admin's queue, and a
curator's takedown that makes the share page 404, can take the template down too, and e-mails the owner."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from swaps import services
from swaps.models import FaceSwapTask, ShareReport
from templates.models import Template
from testing.cast import log_in, make_template, stored_image
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(alice):
    """A finished swap of Alice's (its result a stored picture) shared for 7 days: the link."""
    template = make_template(title="Beach day")
    photo = stored_image(owner=alice)
    task = FaceSwapTask.objects.create(
        user=alice,
        template=template,
        husband_image=photo,
        wife_image=photo,
        result_image=stored_image(owner=alice, image_type="result"),
        status=FaceSwapTask.Status.COMPLETED,
        progress=100,
    )
    return services.share_create(user=alice, task=task, days=7)


def report_url(link) -> str:
    return reverse("share:report", args=[link.token])


def test_anyone_reports_without_an_account_and_it_lands_in_the_queue(shared, curator):
    page = Client().get(shared.get_absolute_url()).text
    assert report_url(shared) in page and "Report this picture" in page
    visitor = Client(REMOTE_ADDR="203.0.113.7")
    assert "Choose why you report" in visitor.post(report_url(shared), {"reason": ""}).text
    response = visitor.post(report_url(shared), {"reason": "consent", "text": "That is my face, I never agreed."})
    assert response.status_code == 201 and "Thank you" in response.text
    report = ShareReport.objects.get()
    assert (report.reason, report.status, report.link_id) == ("consent", "open", shared.pk)
    assert "203.0.113.7" not in report.reporter_hash
    admin = Client()
    log_in(admin, "curator")
    queue = admin.get(reverse("admin:swaps_sharereport_changelist")).text
    assert "That is my face" in queue and "alice" in queue


def test_reports_are_limited_per_address(shared, settings):
    settings.REPORTS_PER_IP_PER_HOUR = 2
    visitor, other = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(2):
        assert visitor.post(report_url(shared), {"reason": "other"}).status_code == 201
    refused = visitor.post(report_url(shared), {"reason": "other"})
    assert refused.status_code == 429 and "try again later" in refused.text
    assert other.post(report_url(shared), {"reason": "other"}).status_code == 201
    assert ShareReport.objects.count() == 3


def test_takedown_makes_the_share_page_404_takes_the_template_down_and_mails_the_owner(shared, curator, alice):
    Client().post(report_url(shared), {"reason": "nudity"})
    admin = Client()
    log_in(admin, "curator")
    report = ShareReport.objects.get()
    admin.post(
        reverse("admin:swaps_sharereport_changelist"),
        {"action": "take_down_links_and_template", "_selected_action": [report.pk]},
    )
    assert Client().get(shared.get_absolute_url()).status_code == 404
    assert Client().get(reverse("share:picture", args=[shared.token])).status_code == 404
    report.refresh_from_db()
    assert report.status == "taken_down" and report.handled_by == curator
    template = Template.objects.get(pk=shared.task.template_id)
    assert template.taken_down_at is not None and not template.is_active
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email] and "taken down" in message.subject
    assert "Nudity or sexual content" in message.body and "Beach day" in message.body


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_report_from_a_fresh_browser_reaches_the_admin_and_takedown_404s_the_page(
    site_server, browser, shared, curator, alice, viewport
):
    from django.db import connection

    url = f"{site_server.url}{shared.get_absolute_url()}"
    connection.close()
    context = browser.new_context(viewport=viewport)  # nobody logged in, no cookies
    page = context.new_page()
    page.goto(url)
    page.get_by_role("link", name="Report this picture").click()
    page.select_option("select[name=reason]", "minor")
    page.fill("textarea[name=text]", "This looks like a child.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(".message.success")).to_contain_text("Thank you")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    admin = browser.new_page(viewport=DESKTOP)
    log_in(admin, "curator", base_url=site_server.url)
    admin.goto(f"{site_server.url}/admin/swaps/sharereport/")
    row = admin.locator("tr", has_text="This looks like a child.")
    expect(row).to_contain_text("alice")
    row.locator("input[name=_selected_action]").check()
    admin.select_option("select[name=action]", "take_down_links")
    admin.locator("button[name=index]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Took down 1")
    assert page.goto(url).status == 404
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice.email]
    assert "It shows a child or a minor" in mail.outbox[0].body


def test_a_shared_swap_of_an_own_template_keeps_the_scenes_name_private(alice):
    from templates.models import OwnFaces
    from testing.cast import COUPLE

    own = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(320, 240)),
        title="Our secret beach",
        category="custom",
        is_active=False,
        face_positions=[dict(face) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    photo = stored_image(owner=alice)
    task = FaceSwapTask.objects.create(
        user=alice,
        template=own,
        husband_image=photo,
        wife_image=photo,
        result_image=stored_image(owner=alice, image_type="result"),
        status=FaceSwapTask.Status.COMPLETED,
    )
    link = services.share_create(user=alice, task=task, days=1)
    page = Client().get(link.get_absolute_url())
    assert page.status_code == 200 and "Our secret beach" not in page.text and "Report this picture" in page.text
