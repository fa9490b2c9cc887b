"""The staff commands swap_faces and check_models, and the model-licence system check."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from PIL import Image

from testing import REPO_DIR

pytestmark = pytest.mark.slow


def swap_faces(*args: str) -> subprocess.CompletedProcess:
    """Run the command as staff would, in its own process (exit code and streams as they are)."""
    return subprocess.run(
        [sys.executable, "manage.py", "swap_faces", *args], cwd=REPO_DIR, capture_output=True, text=True, timeout=120
    )


def test_swap_faces_writes_the_result_and_prints_json(faces_dir, tmp_path):
    output = tmp_path / "result.png"
    done = swap_faces(
        "--template", str(faces_dir / "couple_man_woman_closeup.jpg"),
        "--husband", str(faces_dir / "man_single_obama.jpg"),
        "--wife", str(faces_dir / "woman_single_astronaut.png"),
        "--output", str(output), "--husband-right", "--json", "--engine", "classic",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["engine"] == "classic" and report["seconds"] > 0
    husband, wife = report["faces"]
    assert husband["role"] == "husband" and wife["role"] == "wife"
    # --husband-right: the husband is the right-hand face of the template.
    assert husband["target_box"][0] > wife["target_box"][0]
    assert len(husband["source_box"]) == 4
    with Image.open(output) as image:
        assert image.format == "PNG" and image.size == (1024, 713)


def test_swap_faces_husband_on_the_left_by_default(faces_dir, tmp_path):
    out = StringIO()
    output = tmp_path / "result.jpg"
    call_command(
        "swap_faces",
        template=str(faces_dir / "couple_man_woman_casual.jpg"),
        husband=str(faces_dir / "man_single_obama.jpg"),
        wife=str(faces_dir / "woman_single_astronaut.png"),
        output=str(output),
        json=True,
        stdout=out,
    )
    husband, wife = json.loads(out.getvalue())["faces"]
    assert husband["target_box"][0] < wife["target_box"][0]
    with Image.open(output) as image:
        assert image.format == "JPEG"


@pytest.mark.parametrize(
    ("template", "husband", "wife", "message"),
    [
        (
            "couple_man_woman_closeup.jpg",
            "noface_coffee.png",
            "woman_single_astronaut.png",
            "The husband photo shows no face we can find; please upload a clear photo of the face.",
        ),
        (
            "couple_man_woman_closeup.jpg",
            "man_single_obama.jpg",
            "two_men_whitehouse.jpg",
            "The wife photo shows 2 faces of similar size; please upload a photo of the wife alone.",
        ),
        (
            "man_single_obama.jpg",
            "man_single_obama.jpg",
            "woman_single_astronaut.png",
            "The template shows 1 face we can find; it needs two (a husband and a wife).",
        ),
        (
            "couple_man_woman_closeup.jpg",
            "man_single_obama.jpg",
            "profile_man_camera.png",
            "The wife photo shows the face from the side; please upload a photo looking at the camera.",
        ),
        (
            "couple_man_woman_closeup.jpg",
            "manifest.json",
            "woman_single_astronaut.png",
            "The husband photo is not a readable picture (JPEG, PNG or WebP).",
        ),
    ],
)
def test_swap_faces_bad_input_exits_2_with_one_plain_line(faces_dir, tmp_path, template, husband, wife, message):
    output = tmp_path / "result.jpg"
    done = swap_faces(
        "--template", str(faces_dir / template), "--husband", str(faces_dir / husband),
        "--wife", str(faces_dir / wife), "--output", str(output),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [message]
    assert done.stdout == ""
    assert not output.exists()


def test_swap_faces_refuses_an_unknown_output_format(faces_dir, tmp_path):
    photo = str(faces_dir / "man_single_obama.jpg")
    done = swap_faces("--template", photo, "--husband", photo, "--wife", photo, "--output", str(tmp_path / "r.gif"))
    assert done.returncode == 2
    assert done.stderr.strip() == "The output file must end in .jpg, .png or .webp (got 'r.gif')."
    assert list(tmp_path.iterdir()) == []


def test_check_models_lists_the_classic_files_with_hashes_and_licences(settings):
    settings.FACESWAP_ENGINE = "auto"
    settings.FACESWAP_INSIGHTFACE_DIR = ""
    out = StringIO()
    call_command("check_models", stdout=out)
    text = out.getvalue()
    assert text.startswith("Engine: classic")
    assert "shape_predictor_68_face_landmarks.dat" in text and "iBUG 300-W" in text
    assert "sha256 fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f" in text


def test_check_models_shows_insightface_files(settings, tmp_path):
    from faceengine.tests.onnx_models import make_model_folder

    settings.FACESWAP_ENGINE = "auto"
    settings.FACESWAP_INSIGHTFACE_DIR = str(make_model_folder(tmp_path))
    out = StringIO()
    call_command("check_models", stdout=out)
    text = out.getvalue()
    assert text.startswith("Engine: insightface")
    assert "swapper: " + str(Path(tmp_path) / "inswapper_128.onnx") in text
    assert "non-commercial" in text


def test_licence_check_warns_only_for_commercial_use(settings):
    settings.FACESWAP_ENGINE = "classic"
    settings.FACESWAP_COMMERCIAL_USE = False
    assert not [m for m in run_checks() if m.id == "swaps.W001"]
    settings.FACESWAP_COMMERCIAL_USE = True
    warnings = [m for m in run_checks() if m.id == "swaps.W001"]
    assert len(warnings) == 1
    assert "shape_predictor_68_face_landmarks.dat" in warnings[0].msg and "iBUG 300-W" in warnings[0].hint


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_account_two_photos_and_a_finished_swap_once():
    # Tests run with DEBUG=False, where the demo account (its password is public) needs --allow-demo-user.
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from gallery.models import Image
    from swaps.models import FaceSwapTask

    out = StringIO()
    call_command("seed_demo", "--allow-demo-user", stdout=out)
    assert "the demo account has two photos and a finished swap (“Table for two”)" in out.getvalue()
    demo = get_user_model().objects.get(username="demo")
    photos = Image.objects.filter(owner=demo, image_type="source")
    assert sorted(photos.values_list("filename", flat=True)) == ["demo-partner.jpg", "demo-you.jpg"]
    assert all(photo.metadata["face_check"]["ok"] for photo in photos)
    task = FaceSwapTask.objects.get(user=demo)
    assert task.status == "completed" and task.result_image is not None
    counts = (Image.objects.count(), FaceSwapTask.objects.count())
    out = StringIO()
    call_command("seed_demo", "--allow-demo-user", stdout=out)
    assert "already has its photos and a finished swap" in out.getvalue()
    assert (Image.objects.count(), FaceSwapTask.objects.count()) == counts
