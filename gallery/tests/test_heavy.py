"""Heavy picture work bounded: per person (busy, try again), per process (decoded bytes), duplicates known
before decoding, and turns of one photo that race leaving no file behind."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from django.core.files.base import ContentFile

from gallery.models import Image
from gallery.services import HeavyWorkBusy, decode_budget, heavy_work, image_clean, image_rotate, image_upload_or_reuse
from gallery.services.heavy import decode_budget_peak
from testing.cast import encode, stored_files, user_create


def _photo(seed: int, size=(400, 300)) -> bytes:
    """A picture of its own (blotches from the seed): neither the same bytes nor the same look as another."""
    import numpy as np
    from PIL import Image as PILImage

    blotches = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return encode(PILImage.fromarray(blotches).resize(size, PILImage.Resampling.BILINEAR), "JPEG", quality=90)


class _Holder:
    """Threads that each hold one of a person's heavy-work slots until released."""

    def __init__(self, owner_id: int, count: int) -> None:
        self.release = threading.Event()
        self.ready = threading.Barrier(count + 1)
        self.threads = [threading.Thread(target=self._hold, args=(owner_id,)) for _ in range(count)]

    def _hold(self, owner_id: int) -> None:
        with heavy_work(owner_id=owner_id, wait=0):
            self.ready.wait(10)
            self.release.wait(30)

    def __enter__(self) -> _Holder:
        for thread in self.threads:
            thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        for thread in self.threads:
            thread.join(10)


@pytest.mark.django_db
def test_a_person_with_both_slots_taken_is_told_busy_and_the_same_file_again_needs_no_decoding(settings):
    settings.HEAVY_WORK_PER_USER = 2
    settings.HEAVY_WORK_WAIT_SECONDS = 0.3
    alice, bob = user_create(username="alice"), user_create(username="bob")
    first, created = image_upload_or_reuse(owner=alice, file=ContentFile(_photo(1), name="first.jpg"))
    assert created
    stored = stored_files(settings)

    with _Holder(alice.pk, 2):
        # The same bytes again: known from their hash, no slot needed, nothing stored.
        again, created = image_upload_or_reuse(owner=alice, file=ContentFile(_photo(1), name="again.jpg"))
        assert (again.pk, created) == (first.pk, False)
        # A new picture needs decoding: busy, in plain words, and nothing stored.
        with pytest.raises(HeavyWorkBusy) as refused:
            image_upload_or_reuse(owner=alice, file=ContentFile(_photo(2), name="second.jpg"))
        assert "try this one again" in " ".join(refused.value.messages)
        assert Image.objects.filter(owner=alice).count() == 1
        assert stored_files(settings) == stored
        # Somebody else is not held up by alice's work.
        _, created = image_upload_or_reuse(owner=bob, file=ContentFile(_photo(3), name="bob.jpg"))
        assert created
    # Slots given back: alice's next picture goes through.
    _, created = image_upload_or_reuse(owner=alice, file=ContentFile(_photo(2), name="second.jpg"))
    assert created


def test_slots_are_reentrant_within_a_request_and_given_back_after_an_error(settings):
    settings.HEAVY_WORK_PER_USER = 1
    settings.HEAVY_WORK_WAIT_SECONDS = 0
    with heavy_work(owner_id=99), heavy_work(owner_id=99):
        pass  # the nested work takes no second slot
    with pytest.raises(ZeroDivisionError), heavy_work(owner_id=99):
        raise ZeroDivisionError
    with heavy_work(owner_id=99):
        pass


def test_decoding_in_one_process_stays_within_its_memory_budget(settings):
    """Six pictures decoded by six threads at once, with room for one: all are cleaned, one at a time."""
    size = (1000, 800)
    settings.DECODE_MEMORY_BUDGET_BYTES = size[0] * size[1] * 4
    settings.HEAVY_WORK_WAIT_SECONDS = 60
    data = [_photo(seed, size) for seed in range(6)]
    decode_budget_peak(reset=True)
    with ThreadPoolExecutor(6) as pool:
        cleaned = list(pool.map(lambda d: image_clean(file=ContentFile(d, name="p.jpg")), data))
    assert [c.width for c in cleaned] == [size[0]] * 6
    assert decode_budget_peak() == settings.DECODE_MEMORY_BUDGET_BYTES

    # With the budget held and no time to wait: busy, not a pile-up of decoded pictures.
    settings.HEAVY_WORK_WAIT_SECONDS = 0.2
    with ExitStack() as held:
        held.enter_context(decode_budget(pixels=size[0] * size[1]))
        with pytest.raises(HeavyWorkBusy) as refused:
            image_clean(file=ContentFile(data[0], name="p.jpg"))
    assert "site is busy" in " ".join(refused.value.messages)


@pytest.mark.server
def test_turns_of_one_photo_that_race_all_apply_and_leave_no_object_behind(s3_storage, transactional_db, settings):
    """Five turns of the same photo at once on S3: turned five times, exactly its two objects left."""
    settings.HEAVY_WORK_PER_USER = 5
    settings.HEAVY_WORK_WAIT_SECONDS = 60
    alice = user_create(username="alice")
    photo, _ = image_upload_or_reuse(owner=alice, file=ContentFile(_photo(1, (400, 300)), name="p.jpg"))
    assert (photo.width, photo.height) == (400, 300)

    def turn(_):
        from django.db import connection

        try:
            return image_rotate(image=Image.objects.get(pk=photo.pk), clockwise=True)
        finally:
            connection.close()

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(turn, range(5)))
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (300, 400)  # five quarter turns: one
    assert s3_storage.keys() == sorted([photo.file.name, photo.metadata["thumbnail"]])


@pytest.mark.server
def test_through_gunicorn_a_person_s_heavy_work_is_limited_across_processes_and_others_go_on(
    transactional_db, tmp_path, settings
):
    """Real gunicorn (2 processes) and the shared Redis: with alice's two slots taken (here, in the test
    process, as two of her uploads in other processes would), her next new photo is answered 429 'busy' at
    once with nothing stored, the same file again is recognised without work, and bob's upload goes through."""
    from testing import require_postgres, require_redis_url
    from testing.cast import logged_in_session
    from testing.fixtures_services import service_env
    from testing.servers import Gunicorn

    require_postgres()
    require_redis_url()
    settings.HEAVY_WORK_WAIT_SECONDS = 0
    alice, bob = user_create(username="alice"), user_create(username="bob")
    image_upload_or_reuse(owner=alice, file=ContentFile(_photo(1), name="first.jpg"))
    server = Gunicorn(env=service_env(HEAVY_WORK_WAIT_SECONDS="0.5"), workers=2, threads=4, log_path=tmp_path / "g.log")
    with server:
        server.start(ready_path="/")
        as_alice, as_bob = logged_in_session(alice, server.url), logged_in_session(bob, server.url)

        def send(session, data: bytes, name: str):
            return session.post(
                server.url + "/photos/", files={"photos": (name, data, "image/jpeg")}, allow_redirects=False, timeout=60
            )

        with _Holder(alice.pk, settings.HEAVY_WORK_PER_USER):
            busy = send(as_alice, _photo(2), "new.jpg")
            again = send(as_alice, _photo(1), "again.jpg")
            theirs = send(as_bob, _photo(3), "bob.jpg")
        assert busy.status_code == 429 and busy.headers["Retry-After"]
        assert "try this one again" in busy.text
        assert again.status_code == 302  # recognised as the same file: not busy, nothing stored
        assert theirs.status_code == 302
        assert Image.objects.filter(owner=alice).count() == 1 and Image.objects.filter(owner=bob).count() == 1
        later = send(as_alice, _photo(2), "new.jpg")
        assert later.status_code == 302
        assert Image.objects.filter(owner=alice).count() == 2


@pytest.mark.django_db
def test_a_face_crop_of_a_large_photo_decodes_a_reduced_copy_of_the_right_region(settings):
    from PIL import Image as PILImage
    from PIL import ImageDraw

    from gallery.services import image_crop

    settings.DECODE_MEMORY_BUDGET_BYTES = 10**9
    big = PILImage.new("RGB", (4000, 3000), (20, 20, 20))
    ImageDraw.Draw(big).rectangle((1500, 1000, 2499, 1999), fill=(250, 30, 30))
    photo, _ = image_upload_or_reuse(owner=user_create(username="alice"), file=ContentFile(encode(big), name="b.jpg"))
    decode_budget_peak(reset=True)
    crop = PILImage.open(io.BytesIO(image_crop(photo, [1500, 1000, 2500, 2000])))
    assert max(crop.size) <= 160 and abs(crop.size[0] - crop.size[1]) <= 2
    red = crop.getpixel((crop.size[0] // 2, crop.size[1] // 2))
    assert red[0] > 200 and red[1] < 80, red
    border = crop.getpixel((2, 2))
    assert border[0] < 60, border  # the margin around the box is the dark background
    assert 0 < decode_budget_peak() <= 4000 * 3000 * 4 // 64  # an eighth each way: 0.75 MB, not 48 MB


@pytest.mark.django_db
def test_a_storage_that_cannot_write_is_a_plain_refusal_with_nothing_stored(settings, tmp_path, client):
    """A full disk or a refusing bucket: the person reads why, nothing is kept (was a generic 500)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }
    alice = user_create(username="alice")
    client.force_login(alice)
    response = client.post("/photos/", {"photos": [ContentFile(_photo(4), name="me.jpg")]})
    assert response.status_code == 200
    assert "We could not store your picture just now" in response.content.decode()
    assert not Image.objects.filter(owner=alice).exists()
