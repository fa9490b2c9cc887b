"""Signed provenance and the invisible mark on results, and `verify_result` reading them back."""

from __future__ import annotations

import io
import subprocess
import sys

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from swaps.checks import provenance_signing_check
from swaps.models import ShareReport
from swaps.provenance import signing, watermark
from swaps.provenance.verify import verify_bytes
from swaps.services import swap_create, swap_run
from testing import REPO_DIR, cast


@pytest.fixture
def finished(alice, alice_photos, couple_template):
    task = swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1])
    task = swap_run(task_id=task.pk)
    assert task.status == "completed", task.error_message
    with task.result_image.file.open("rb") as fh:
        return task, fh.read()


def _scan_start(jpeg: bytes) -> int:
    """Where a JPEG's entropy-coded picture data begins (after its start-of-scan header)."""
    sos = jpeg.index(b"\xff\xda")
    return sos + 2 + int.from_bytes(jpeg[sos + 2 : sos + 4], "big")


def test_every_result_is_signed_by_the_site_from_its_template_and_marked(finished, tmp_path):
    task, data = finished
    result = verify_bytes(data)
    assert result.signature_valid and result.made_here, result.problems
    assert result.state == "Trusted"  # the throwaway root is on the reader's trust list
    assert result.ingredients == [task.template.title]
    assert result.edited_at
    assert result.mark.public_id == task.public_id
    text = str(result.manifest)
    # No personal data: neither the owner nor their photos' names appear, and no thumbnail of the result.
    for personal in (task.user.username, task.user.email, task.husband_image.filename, task.wife_image.filename):
        assert personal not in text
    assert "thumbnail" not in result.manifest
    actions = next(a for a in result.manifest["assertions"] if a["label"].startswith("c2pa.actions"))["data"]
    edited = [a for a in actions["actions"] if a["action"] == "c2pa.edited"]
    assert edited[0]["digitalSourceType"].endswith("/algorithmicMedia")
    path = tmp_path / "result.jpg"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("verify_result", str(path), stdout=out)
    assert f"made by this site, task {task.public_id} (swap #{task.pk}" in out.getvalue()
    assert "signature valid" in out.getvalue()


def test_a_changed_pixel_or_manifest_byte_fails_with_a_plain_message(finished, tmp_path):
    _task, data = finished
    start = _scan_start(data)
    pixel = bytearray(data)
    pixel[start + 200] ^= 0x10  # one byte of the compressed picture: a block of pixels changes
    result = verify_bytes(bytes(pixel))
    assert not result.valid
    assert "the picture was changed after it was signed" in " ".join(result.problems)
    manifest = bytearray(data)
    claim = data.index(b"c2pa.actions")
    manifest[claim + 40] ^= 0x01
    assert not verify_bytes(bytes(manifest)).valid
    for name, damaged in (("pixel.jpg", pixel), ("manifest.jpg", manifest)):
        (tmp_path / name).write_bytes(damaged)
        with pytest.raises(CommandError, match="NOT verified"):
            call_command("verify_result", str(tmp_path / name), "--quiet", stdout=io.StringIO())


def test_a_picture_from_elsewhere_has_no_manifest_and_no_mark(tmp_path):
    path = tmp_path / "other.png"
    path.write_bytes(cast.picture_bytes(width=640, height=480))
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_result", str(path)], cwd=REPO_DIR, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "No C2PA manifest" in done.stdout and "no mark found" in done.stdout


def test_png_results_are_signed_too(tmp_path):
    picture = cast.picture_bytes(width=600, height=400, fmt="PNG")
    template = cast.picture_bytes(width=600, height=400, fmt="JPEG")
    signed = signing.sign(picture, "PNG", template=template, template_format="JPEG", template_title="Beach")
    result = verify_bytes(signed)
    assert result.signature_valid and result.ingredients == ["Beach"]


def test_production_refuses_to_start_without_a_key_when_required(settings, tmp_path):
    settings.C2PA_REQUIRED = True
    settings.C2PA_SIGNING_KEY = settings.C2PA_CERT_CHAIN = ""
    assert [error.id for error in provenance_signing_check(None)] == ["swaps.E001"]
    settings.C2PA_SIGNING_KEY = str(tmp_path / "missing.pem")
    settings.C2PA_CERT_CHAIN = str(tmp_path / "missing-chain.pem")
    assert [error.id for error in provenance_signing_check(None)] == ["swaps.E001"]
    chain = signing.throwaway_chain()
    (tmp_path / "key.pem").write_bytes(chain[signing.KEY_FILE])
    (tmp_path / "chain.pem").write_bytes(chain[signing.CHAIN_FILE])
    settings.C2PA_SIGNING_KEY, settings.C2PA_CERT_CHAIN = str(tmp_path / "key.pem"), str(tmp_path / "chain.pem")
    assert provenance_signing_check(None) == []


def _photo(faces_dir) -> np.ndarray:
    picture = cv2.imread(str(faces_dir / "couple_man_woman_closeup.jpg"))
    return cv2.resize(picture, (1728, 1152), interpolation=cv2.INTER_AREA)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(np.float64) - b) ** 2)))


def _jpeg(picture: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def test_the_mark_is_invisible_and_survives_jpeg_75_and_half_size(faces_dir):
    picture = _photo(faces_dir)
    public_id = watermark.new_public_id()
    marked = watermark.embed(picture, public_id)
    assert _psnr(picture, marked) >= 40
    assert watermark.read(marked).public_id == public_id
    assert watermark.read(_jpeg(marked, 75)).public_id == public_id
    half = cv2.resize(marked, (864, 576), interpolation=cv2.INTER_AREA)
    assert watermark.read(half).public_id == public_id
    assert watermark.read(picture).public_id is None  # unmarked: no id read into it


def test_the_mark_is_invisible_watermarks_dwt_dct(faces_dir):
    """The library's own DWT-DCT decoder reads our mark (same method, same layout)."""
    picture = _photo(faces_dir)
    public_id = watermark.new_public_id()
    marked = watermark.embed(picture, public_id)
    library = watermark.library_dwtdct().EmbedMaxDct([], wmLen=watermark.PAYLOAD_BITS, scales=[watermark.SCALE, 0, 0])
    assert list(library.decode(marked)) == list(watermark.payload_bits(public_id).astype(bool))


def test_rgb_and_bgr_marks_read_the_same(faces_dir):
    picture = _photo(faces_dir)
    public_id = watermark.new_public_id()
    marked_rgb = watermark.embed(np.ascontiguousarray(picture[:, :, ::-1]), public_id, order="rgb")
    assert watermark.read(np.ascontiguousarray(marked_rgb[:, :, ::-1])).public_id == public_id


def test_the_result_and_share_pages_link_to_the_provenance_details(client, alice, bob, finished, admin_client):
    from django.urls import reverse

    from swaps import services

    task, _data = finished
    client.force_login(alice)
    details = reverse("swaps:provenance", args=[task.pk])
    assert details in client.get(task.get_absolute_url()).text
    page = client.get(details).text
    assert "Yes: made by Couple Face-Swap" in page and "signature valid" in page
    assert task.template.title in page
    client.force_login(bob)
    assert client.get(details).status_code == 404  # another account sees nothing
    link = services.share_create(user=alice, task=task, days=7)
    client.logout()
    shared = client.get(link.get_absolute_url()).text
    assert reverse("share:provenance", args=[link.token]) in shared
    public = client.get(reverse("share:provenance", args=[link.token]))
    assert public.status_code == 200 and "signature valid" in public.text
    assert alice.username not in public.text and alice.email not in public.text
    # A reported picture: the queue says whether it was made here and by which swap.
    report = ShareReport.objects.create(link=link, reason=ShareReport.Reason.CONSENT)
    report_page = admin_client.get(reverse("admin:swaps_sharereport_change", args=[report.pk])).text
    assert "Manifest: made here, signature valid" in report_page and f"matches swap #{task.pk}" in report_page
    services.share_revoke(link=link)
    assert client.get(reverse("share:provenance", args=[link.token])).status_code == 404
    admin_page = admin_client.get(reverse("admin:swaps_faceswaptask_change", args=[task.pk])).text
    assert "Manifest: made here, signature valid" in admin_page and f"Mark: task {task.public_id}" in admin_page
    assert f"matches swap #{task.pk}" in admin_page


def test_zip_downloads_and_the_shared_picture_carry_the_same_signed_manifest(finished, client, alice):
    """What leaves the site by "Download all" (ZIP), a share link and its link preview (og:image) is the
    stored result itself: each validates, from its template, with the task's mark."""
    import re
    import zipfile

    from django.urls import reverse

    from swaps import services
    from swaps.models import Album

    task, _data = finished
    task.album = Album.objects.create(user=alice)
    task.save(update_fields=["album"])
    client.force_login(alice)
    response = client.get(reverse("swaps:album_zip", args=[task.album.pk]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        (name,) = archive.namelist()
        entry = archive.read(name)
    link = services.share_create(user=alice, task=task, days=7)
    client.logout()
    page = client.get(link.get_absolute_url()).text
    og_image = re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1)
    assert og_image.endswith(reverse("share:picture", args=[link.token]))
    shared = client.get(reverse("share:picture", args=[link.token]))
    shared_bytes = b"".join(shared.streaming_content)
    for picture in (entry, shared_bytes):
        result = verify_bytes(picture)
        assert result.valid and result.signature_valid and result.made_here, result.problems
        assert result.ingredients == [task.template.title]
        assert result.mark.public_id == task.public_id


def test_an_owner_may_show_a_visible_badge_on_a_shared_picture_which_keeps_its_provenance(
    finished, client, alice, artifacts_dir
):
    from django.urls import reverse
    from PIL import Image as PILImage

    from swaps.models import ShareLink

    task, data = finished
    client.force_login(alice)
    assert 'name="badge"' in client.get(task.get_absolute_url()).text
    client.post(reverse("swaps:share", args=[task.pk]), {"days": "7", "badge": "on"})
    client.post(reverse("swaps:share", args=[task.pk]), {"days": "7"})
    badged_link, plain_link = ShareLink.objects.order_by("pk")
    assert badged_link.badge and not plain_link.badge
    client.logout()
    plain = b"".join(client.get(reverse("share:picture", args=[plain_link.token])).streaming_content)
    assert plain == data  # without the badge: the stored result itself
    badged = client.get(reverse("share:picture", args=[badged_link.token])).content
    (artifacts_dir / "share-badge.jpg").write_bytes(badged)
    result = verify_bytes(badged)
    assert result.valid and result.ingredients == [task.template.title], result.problems
    assert result.mark.public_id == task.public_id
    before = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB")).astype(int)
    after = np.asarray(PILImage.open(io.BytesIO(badged)).convert("RGB")).astype(int)
    h, w = before.shape[:2]
    corner = np.abs(after[h - h // 8 :, w - w // 6 :] - before[h - h // 8 :, w - w // 6 :]).max(axis=2)
    rest = np.abs(after[: h // 2, : w // 2] - before[: h // 2, : w // 2]).max(axis=2)
    assert (corner > 60).sum() > 300  # the badge is there, in the corner (its letters and edge)
    assert np.median(rest) <= 2  # and the rest of the picture is the same
