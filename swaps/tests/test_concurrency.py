"""Face checks from many threads of one real web process at once (dlib shared across threads once crashed it)."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image as PILImage

from testing import require_postgres
from testing.cast import logged_in_session, user_create
from testing.fixtures_services import web_server

# Each kind of photo with the answer a check must give: (file, ok, words the message must contain).
KINDS = [
    ("man_single_obama.jpg", True, "We found the face in this photo."),
    ("woman_single_astronaut.png", True, "We found the face in this photo."),
    ("noface_coffee.png", False, "no face"),
    # Several people are fine: the person taps which face is theirs.
    ("group_six_people.jpg", True, "faces: tap the one to use"),
]


def variants(faces_dir, count: int) -> list[tuple[str, bytes, bool, str]]:
    """count distinct files (each kind re-encoded at another quality), so no check is answered from the cache."""
    files = []
    for i in range(count):
        name, ok, words = KINDS[i % len(KINDS)]
        picture = PILImage.open(faces_dir / name).convert("RGB")
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=95 - i)
        files.append((f"{i}-{name}.jpg", buffer.getvalue(), ok, words))
    return files


@pytest.mark.server
@pytest.mark.parametrize("kind", ["gthread", "runserver"])
def test_sixteen_concurrent_photo_checks_answer_correctly_without_a_crash(
    kind, transactional_db, django_user_model, faces_dir, tmp_path
):
    require_postgres()
    user = user_create(username="carol")
    # All sixteen at once in the one process is what is tested here, not the per-person bound on heavy work
    # (its own tests are in gallery/tests): that bound would let two run and make the rest wait or be refused.
    server = web_server(kind, tmp_path / "server.log", HEAVY_WORK_PER_USER="16", HEAVY_WORK_WAIT_SECONDS="120")
    try:
        server.start(ready_path="/")
        session = logged_in_session(user, server.url)
        files = variants(faces_dir, 16)
        start = threading.Barrier(len(files))

        def check(item):
            name, data, _, _ = item
            start.wait()
            response = session.post(
                server.url + "/swaps/photos/check/",
                data={"role": "husband"},
                files={"file": (name, data, "image/jpeg")},
                timeout=120,
            )
            return response.status_code, response.json()

        with ThreadPoolExecutor(len(files)) as pool:
            answers = list(pool.map(check, files))
        assert server.process.poll() is None, f"the server died:\n{server.log()}"
        for (name, _, ok, words), (status, body) in zip(files, answers, strict=True):
            assert status == 200, (name, status, body)
            assert body["ok"] is ok and words in body["message"], (name, body)
    finally:
        server.stop()
    assert "Segmentation" not in server.log() and "corrupted" not in server.log()
