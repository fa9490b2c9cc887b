import json
import shutil
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from gallery.models import Image
from templates.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TEMPLATES, DEMO_USERNAME, demo_source_picture
from templates.models import Template
from testing.cast import make_template

pytestmark = [pytest.mark.django_db]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def import_dir(tmp_path, faces_dir):
    """A folder as staff would prepare it: two couple photos, the same photo again, a text file, a sidecar."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(faces_dir / "couple_man_woman_casual.jpg", folder / "a_casual.jpg")
    shutil.copy(faces_dir / "couple_man_woman_closeup.jpg", folder / "b_closeup.jpg")
    shutil.copy(faces_dir / "couple_man_woman_casual.jpg", folder / "c_casual_again.jpg")
    (folder / "d_notes.txt").write_text("these are not pictures")
    (folder / "templates.json").write_text(
        json.dumps(
            {
                "a_casual.jpg": {
                    "title": "Evening at home",
                    "artist": "dlib examples",
                    "source_url": "https://example.com/casual",
                    "tags": ["cosy", "indoor"],
                    "category": "custom",
                },
                "b_closeup.jpg": {"title": "Red carpet", "category": "movie", "tags": "glamour; night"},
            }
        )
    )
    return folder


@pytest.mark.slow
def test_import_templates_creates_skips_duplicates_and_reports_failures(import_dir):
    output = run("import_templates", str(import_dir), "--category", "tv", "--activate")
    lines = output.splitlines()
    assert any(line.startswith("created  a_casual.jpg → #") and "“Evening at home”" in line for line in lines)
    assert any(line.startswith("created  b_closeup.jpg → #") and "“Red carpet”" in line for line in lines)
    assert any(
        line.startswith("skipped  c_casual_again.jpg: same picture as template #") and "Evening at home" in line
        for line in lines
    )
    failed = [line for line in lines if line.startswith("failed   d_notes.txt: ")]
    assert failed and len(failed[0]) > len("failed   d_notes.txt: ") + 10, output
    assert lines[-1] == "2 created, 1 skipped, 1 failed."

    casual = Template.objects.get(title="Evening at home")
    assert casual.artist == "dlib examples" and casual.source_url == "https://example.com/casual"
    assert casual.category == "custom"
    assert sorted(t.name for t in casual.image.tags.all()) == ["cosy", "indoor"]
    assert casual.face_count == 2 and casual.roles_complete and casual.is_active
    closeup = Template.objects.get(title="Red carpet")
    assert sorted(t.name for t in closeup.image.tags.all()) == ["glamour", "night"]
    assert Template.objects.count() == 2
    assert Image.objects.count() == 2  # the duplicate and the text file left nothing behind

    again = run("import_templates", str(import_dir))
    assert again.splitlines()[-1] == "0 created, 3 skipped, 1 failed."


def test_import_templates_uses_a_csv_sidecar_and_the_default_category(tmp_path):
    from testing.cast import picture_bytes

    (tmp_path / "first_scene.png").write_bytes(picture_bytes())
    (tmp_path / "other.png").write_bytes(picture_bytes())
    (tmp_path / "templates.csv").write_text("file,title,artist,tags\nfirst_scene.png,Harbour lights,Kim,sea;night\n")
    output = run("import_templates", str(tmp_path), "--category", "acg")
    assert output.splitlines()[-1] == "2 created, 0 skipped, 0 failed."
    harbour = Template.objects.get(title="Harbour lights")
    assert harbour.artist == "Kim" and harbour.category == "acg"
    assert sorted(t.name for t in harbour.image.tags.all()) == ["night", "sea"]
    # No sidecar entry: the title comes from the file name; no faces, so it stays inactive and says why.
    other = Template.objects.get(title="Other")
    assert other.is_active is False
    assert "inactive: No faces are marked" in output


def test_import_templates_refuses_a_broken_sidecar_and_a_missing_folder(tmp_path):
    (tmp_path / "templates.json").write_text("{not json")
    with pytest.raises(CommandError, match=r"templates\.json is not valid JSON"):
        run("import_templates", str(tmp_path))
    with pytest.raises(CommandError, match="is not a folder"):
        run("import_templates", str(tmp_path / "missing"))


@pytest.mark.slow
def test_seed_demo_refuses_the_demo_user_when_debug_is_off_unless_allowed(settings):
    settings.DEBUG = False
    output = run("seed_demo")
    assert "the demo user was NOT created" in output and "--allow-demo-user" in output
    assert not get_user_model().objects.filter(username=DEMO_USERNAME).exists()
    assert Template.objects.filter(title=DEMO_TEMPLATES[0]["title"]).exists()  # the templates are harmless
    assert "the demo user created" in run("seed_demo", "--allow-demo-user")
    assert get_user_model().objects.get(username=DEMO_USERNAME).check_password(DEMO_PASSWORD)


@pytest.mark.slow
def test_seed_demo_creates_active_couples_and_a_demo_user_once(settings):
    settings.DEBUG = True  # a local run
    first = run("seed_demo")
    assert f"{len(DEMO_TEMPLATES)} demo templates created, the demo user created" in first
    demos = Template.objects.filter(title__in=[spec["title"] for spec in DEMO_TEMPLATES])
    assert demos.count() == len(DEMO_TEMPLATES) >= 3
    for template in demos:
        spec = next(spec for spec in DEMO_TEMPLATES if spec["title"] == template.title)
        assert template.is_active and template.roles_complete and template.face_count == len(spec["roles"])
        assert template.category == "tv"
    # In the first crop the woman is on the left and a third face (turned away) has no role: the roles
    # were set from the crop's spec, not the detector's proposal.
    first_demo = demos.get(title=DEMO_TEMPLATES[0]["title"])
    wife, husband = first_demo.face_for_role("wife"), first_demo.face_for_role("husband")
    assert wife["box"][0] < husband["box"][0]
    assert [face["role"] for face in first_demo.face_positions].count(None) == 1
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert user.check_password(DEMO_PASSWORD)

    counts = (Template.objects.count(), Image.objects.count(), get_user_model().objects.count())
    second = run("seed_demo")
    assert "0 demo templates created, the demo user already there" in second
    assert (Template.objects.count(), Image.objects.count(), get_user_model().objects.count()) == counts


def test_seed_demo_reads_insightface_s_own_sample_picture():
    path = demo_source_picture()
    assert path.name == "t1.jpg" and path.parent.name == "images" and "insightface" in path.parts


def test_demo_user_logs_in_with_the_credentials_in_the_readme(client):
    from templates.management.commands.seed_demo import Command

    Command()._demo_user()
    from testing import REPO_DIR

    text = (REPO_DIR / "README.md").read_text()
    assert DEMO_USERNAME in text and DEMO_PASSWORD in text
    assert client.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)


@pytest.mark.slow
def test_detect_template_faces_by_id_and_all(faces_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from templates import services

    path = faces_dir / "couple_man_woman_casual.jpg"
    photo = services.template_create(
        image_file=SimpleUploadedFile(path.name, path.read_bytes()), title="Photo", detect=False
    )
    plain = make_template(title="Plain", is_active=True)
    output = run("detect_template_faces", str(photo.pk))
    assert f"#{photo.pk} “Photo”: 2 faces, husband and wife set" in output
    output = run("detect_template_faces", "--all")
    assert f"#{plain.pk} “Plain”: 0 faces; archived: No faces are marked" in output
    assert output.splitlines()[-1] == "2 templates done."
    with pytest.raises(CommandError, match="Give template ids, or --all"):
        run("detect_template_faces")
    with pytest.raises(CommandError, match="No template with id 9999"):
        run("detect_template_faces", "9999")
