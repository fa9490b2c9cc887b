"""Share links: unguessable, only the result picture, counted, and gone after revoke or expiry."""

import math
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from swaps import services
from swaps.models import ShareLink
from swaps.services import swap_create, swap_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(alice, alice_photos, couple_template):
    task = swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1])
    return swap_run(task_id=task.pk)


def test_tokens_carry_at_least_128_random_bits_and_differ(alice, finished, settings):
    settings.SHARE_LINKS_MAX_PER_SWAP = 20
    tokens = {services.share_create(user=alice, task=finished, days=7).token for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        # URL-safe base64: 6 bits per character.
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token) and len(token) * 6 >= 128
    assert math.log2(64) * min(len(t) for t in tokens) >= 128


def test_only_the_owner_shares_only_a_finished_swap_for_1_7_or_30_days(client, alice, bob, finished, alice_photos):
    with pytest.raises(services.SwapError, match="Only the owner"):
        services.share_create(user=bob, task=finished, days=7)
    with pytest.raises(services.SwapError, match="1 day, 7 days or 30 days"):
        services.share_create(user=alice, task=finished, days=365)
    pending = swap_create(
        user=alice, template=finished.template, husband_image=alice_photos[0], wife_image=alice_photos[1]
    )
    with pytest.raises(services.SwapError, match="Only a finished swap"):
        services.share_create(user=alice, task=pending, days=1)
    client.force_login(bob)
    assert client.post(reverse("swaps:share", args=[finished.pk]), {"days": "7"}).status_code == 404
    assert not ShareLink.objects.exists()


def test_the_shared_page_shows_only_the_result_and_counts_views(client, alice, finished):
    client.force_login(alice)
    client.post(reverse("swaps:share", args=[finished.pk]), {"days": "30"})
    link = ShareLink.objects.get()
    assert timedelta(days=29, hours=23) < link.expires_at - timezone.now() <= timedelta(days=30)
    owner_page = client.get(finished.get_absolute_url()).text
    assert link.get_absolute_url() in owner_page and "0 views" in owner_page
    client.logout()
    page = client.get(link.get_absolute_url())
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    text = page.text
    picture = f"http://testserver{reverse('share:picture', args=[link.token])}"
    assert f'<meta property="og:image" content="{picture}">' in text
    assert "AI-edited picture" in text
    # Nothing of the owner: no source photo, no result file URL, no link to their pages or account.
    for private in (finished.husband_image, finished.wife_image, finished.result_image):
        assert private.get_file_url() not in text and private.get_thumbnail_url() not in text
    assert "/swaps/" not in text and "/photos/" not in text and "alice" not in text
    assert not re.search(r'href="/accounts/(?!login|signup)', text)
    shared = client.get(reverse("share:picture", args=[link.token]))
    assert shared.status_code == 200 and shared["Content-Type"] == "image/jpeg"
    assert b"".join(shared.streaming_content)[:2] == b"\xff\xd8"
    client.get(link.get_absolute_url())
    link.refresh_from_db()
    assert link.view_count == 2


def test_revoked_and_expired_links_answer_404(client, alice, finished):
    revoked = services.share_create(user=alice, task=finished, days=1)
    expired = services.share_create(user=alice, task=finished, days=1)
    client.force_login(alice)
    client.post(reverse("swaps:share_revoke", args=[finished.pk, revoked.pk]))
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    for link in (revoked, expired):
        assert client.get(link.get_absolute_url()).status_code == 404
        assert client.get(reverse("share:picture", args=[link.token])).status_code == 404
    assert client.get("/s/not-a-token/").status_code == 404


def test_a_deleted_swap_is_no_longer_shared(client, alice, finished):
    link = services.share_create(user=alice, task=finished, days=7)
    services.swap_trash(task=finished)
    assert client.get(link.get_absolute_url()).status_code == 404
