"""The content gate on an admin's upload: the real model refuses with the plain message, nothing stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery.models import Image
from templates.models import Template
from testing.cast import stored_files

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_an_admin_upload_the_gate_refuses_shows_the_message_and_stores_nothing(admin_client, faces_dir, settings):
    path = faces_dir / "couple_man_woman_casual.jpg"
    # The real model; a threshold at a safe picture's measured score (0.0) stands in for explicit material.
    settings.CONTENT_GATE_REFUSE_AT = 0.0
    response = admin_client.post(
        reverse("admin:couple_templates_template_add"),
        {"image_file": SimpleUploadedFile(path.name, path.read_bytes()), "title": "Refused", "_save": "Save"},
    )
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["image_file"])
    assert "This picture shows nudity, which we do not accept" in errors
    assert not Template.objects.exists() and not Image.objects.exists() and not stored_files(settings)
