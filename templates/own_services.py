"""A person's own scene as a template: upload, the face search (a job on the swaps queue), who goes where,
rename, delete, and "Suggest for the gallery".

An own template is a `templates` row with an `owner` (category custom, never active): private to its owner,
who alone sees and uses it. Its picture is an `images` row of type template owned by them, stored under a
private key and counted against their photo quota. The faces are found by the same thorough pass curators
use (`template_detect_faces`), in the worker, so no web request waits seconds for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from faceengine import ROLES
from gallery.content_gate import BORDERLINE
from gallery.models import Category, ImageType
from gallery.services import heavy_work, image_clean, image_delete, image_store
from jobs import JobKind

from .models import OwnFaces, Review, Template, validate_face_positions
from .services import template_detect_faces

logger = logging.getLogger(__name__)

OWN_FACES_JOBS = JobKind(
    name="template-faces",
    queue="swaps",
    task="templates.tasks.own_faces_task",
    timeout_setting="OWN_TEMPLATE_JOB_TIMEOUT",
    result_ttl=600,
    what="picture",
    doing="looking for faces in",
    advice="Mark the faces yourself: three clicks each.",
)
WAITING = (OwnFaces.PENDING, OwnFaces.PROCESSING)

# The swaps app (a floor above) says how many swaps a template has and deletes them: registered from its
# AppConfig.ready, so deleting an own template can ask whether to keep them.
_SWAP_HOOKS: dict[str, Callable[..., Any]] = {}


def own_template_swaps_register(*, count: Callable[[Template], int], delete: Callable[[Template], int]) -> None:
    """Register how to count and delete the swaps made with a template (swaps does, in its ready())."""
    _SWAP_HOOKS.update(count=count, delete=delete)


def own_template_swap_count(*, template: Template) -> int:
    return _SWAP_HOOKS["count"](template) if "count" in _SWAP_HOOKS else 0


def own_templates_for(*, owner):
    """The person's own templates, newest first (the ones they deleted but kept for their swaps left out)."""
    return Template.objects.filter(owner=owner, removed_at__isnull=True).select_related("image")


def own_template_create(*, owner, file: File, title: str = "") -> Template:
    """A person's scene becomes their private template, and its face search is queued.

    The picture passes the same checks as every upload (format, size, the content gate) and counts against
    the photo quota; nothing is stored when it is refused. A picture the gate finds borderline waits in the
    review queue until a curator approves it. At most OWN_TEMPLATE_MAX_PENDING face searches wait per
    person. Raises ValidationError with a plain message.
    """
    waiting = Template.objects.filter(owner=owner, faces_status__in=WAITING).count()
    if waiting >= settings.OWN_TEMPLATE_MAX_PENDING:
        raise ValidationError(
            _(
                "We are still looking for faces in your last %(count)d pictures. Please wait until that is done, "
                "then add this one."
            )
            % {"count": waiting},
            code="pending",
        )
    with heavy_work(owner_id=owner.pk):
        clean = image_clean(file=file, lossless=True)
    title = (title or "").strip()[:255] or PurePosixPath(clean.filename or "").stem[:255] or _("My scene")
    held = (clean.content or {}).get("verdict") == BORDERLINE
    image = image_store(clean=clean, owner=owner, image_type=ImageType.TEMPLATE, category=Category.CUSTOM)
    try:
        with transaction.atomic():
            template = Template.objects.create(
                owner=owner,
                image=image,
                title=title,
                category=Category.CUSTOM,
                is_active=False,
                face_positions=[],
                faces_status=OwnFaces.PENDING,
                review=Review.WAITING if held else None,
            )
            OWN_FACES_JOBS.enqueue_on_commit(template.pk)
    except Exception:
        image_delete(image=image)
        raise
    return template


def _set_progress(template_id: int, **fields: Any) -> None:
    Template.objects.filter(pk=template_id).update(**fields)


def own_faces_run(*, template_id: int) -> Template | None:
    """The face search of an own template (run by the worker): the thorough pass curators use, then the two
    largest faces proposed, you on the left. Safe to run twice (only a pending search is claimed); a
    deleted template is skipped. A search that fails says so; the person then marks the faces by hand."""
    claimed = Template.objects.filter(pk=template_id, faces_status=OwnFaces.PENDING).update(
        faces_status=OwnFaces.PROCESSING, faces_progress=10, faces_started_at=timezone.now(), faces_error=None
    )
    if not claimed:
        return Template.objects.filter(pk=template_id).first()
    template = Template.objects.select_related("image").get(pk=template_id)
    try:
        _set_progress(template_id, faces_progress=30)
        template_detect_faces(template=template)
    except Exception as exc:
        logger.exception("own template %s: face search failed", template_id)
        _set_progress(
            template_id, faces_status=OwnFaces.FAILED, faces_progress=100, faces_error=OWN_FACES_JOBS.error_for(exc)
        )
        raise
    _set_progress(template_id, faces_status=OwnFaces.DONE, faces_progress=100)
    template.refresh_from_db()
    return template


def own_faces_fail(*, template_id: int, message: str) -> None:
    """A search that will not finish (its worker died): failed with the message, unless already over."""
    Template.objects.filter(pk=template_id, faces_status__in=WAITING).update(
        faces_status=OwnFaces.FAILED, faces_progress=100, faces_error=message
    )


def own_faces_state(*, template: Template) -> dict[str, Any]:
    """Where the face search stands, for the page and its polling: status, progress, the faces found, and a
    message. A search whose job is gone (Redis flushed, worker killed) past its timeout is failed here, so
    the page never waits forever."""
    if template.faces_status in WAITING:
        since = template.faces_started_at or template.created_at or timezone.now()
        late = timezone.now() - since > timedelta(seconds=2 * settings.OWN_TEMPLATE_JOB_TIMEOUT + 30)
        if late and not OWN_FACES_JOBS.job_is_waiting(template.pk):
            Template.objects.filter(pk=template.pk, faces_status=template.faces_status).update(
                faces_status=OwnFaces.FAILED, faces_progress=100, faces_error=OWN_FACES_JOBS.abandoned_error
            )
            template.refresh_from_db()
    faces = template.face_positions or []
    detected = sum(1 for face in faces if face.get("source") == "detected")
    if template.faces_status in WAITING:
        message = _("Looking for faces in your picture. This takes a few seconds.")
    elif template.faces_status == OwnFaces.FAILED:
        message = _("We could not look for faces in this picture. Mark each face yourself: three clicks each.")
    elif detected == 0:
        message = _(
            "We found no faces we can use (drawn faces often are not found). Mark each face: three clicks each."
        )
    elif detected == 1:
        message = _("We found one face. Mark the other with three clicks, then tap who goes where.")
    elif detected == 2:
        message = _("We found two faces. Check who goes where, or switch.")
    else:
        message = _("We found %(count)d faces: tap the two of you.") % {"count": detected}
    return {
        "status": template.faces_status or OwnFaces.DONE,
        "progress": template.faces_progress or 0,
        "finished": template.faces_status not in WAITING,
        "faces": faces,
        "detected": detected,
        "message": str(message),
    }


def own_template_set_couple(
    *, template: Template, you: int, partner: int, marked: list[dict] | None = None
) -> Template:
    """Who goes where: faces marked by hand are added (box and five key points, as curators mark drawn
    faces in the admin), then face number `you` gets you and `partner` your partner (0-based, in the
    order of the faces after the marked ones are added). ValidationError with a plain message otherwise."""
    if template.faces_status in WAITING:
        raise ValidationError(_("We are still looking for faces in this picture: wait a moment."), code="pending")
    faces = [dict(face) for face in template.face_positions or []]
    for face in marked or []:
        if not isinstance(face, dict):
            raise ValidationError(_("A marked face could not be read: mark it again."), code="marked")
        faces.append(
            {"box": face.get("box"), "kps": face.get("kps"), "landmarks": None, "score": 1.0, "source": "manual"}
        )
    if you == partner or not (0 <= you < len(faces) and 0 <= partner < len(faces)):
        raise ValidationError(_("Tap two different faces: one for you and one for your partner."), code="roles")
    for number, face in enumerate(faces):
        face["role"] = {you: ROLES[0], partner: ROLES[1]}.get(number)
    image = template.image
    try:
        template.face_positions = validate_face_positions(faces, width=image.width, height=image.height)
    except ValidationError as exc:
        raise ValidationError(
            _("A marked face is outside the picture or not a face: mark it again.") + " " + " ".join(exc.messages),
            code="marked",
        ) from exc
    template.save(update_fields=["face_positions"])
    return template


def own_template_rename(*, template: Template, title: str) -> Template:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give your template a name."), code="title")
    template.title = title[:255]
    template.save(update_fields=["title"])
    return template


def own_template_delete(*, template: Template, delete_swaps: bool) -> None:
    """Delete an own template. With `delete_swaps` its swaps (and their results) go too; otherwise they
    stay, and so does the template's row and picture for them, hidden from its owner."""
    if delete_swaps and "delete" in _SWAP_HOOKS:
        _SWAP_HOOKS["delete"](template)
    OWN_FACES_JOBS.job_delete(template.pk)
    if own_template_swap_count(template=template):
        template.removed_at = timezone.now()
        template.save(update_fields=["removed_at"])
        return
    image = template.image
    with transaction.atomic():
        template.delete()
        if image is not None:
            image_delete(image=image)


def own_template_suggest(
    *, template: Template, title: str, artist: str, source_url: str, licence_confirmed: bool
) -> Template:
    """ "Suggest for the gallery": the template joins the review queue (the crawled pictures' queue) with
    the attribution its owner gives and their word that the picture may be used. It stays theirs and
    private until a curator approves it."""
    if not licence_confirmed:
        raise ValidationError(
            {"licence": _("Confirm that you have the right to share this picture with everyone.")}, code="licence"
        )
    if not template.roles_complete:
        raise ValidationError(_("Choose who goes where first: the gallery needs both faces."), code="roles")
    if template.taken_down_at is not None or template.review == Review.REJECTED:
        raise ValidationError(_("This picture cannot be suggested for the gallery."), code="rejected")
    template.title = (title or "").strip()[:255] or template.title
    template.artist = (artist or "").strip()[:255] or None
    template.source_url = (source_url or "").strip() or None
    template.full_clean(exclude=["image", "owner"])
    template.review = Review.WAITING
    template.suggested_at = timezone.now()
    template.licence_confirmed = True
    template.submitted_by = template.owner
    template.save(
        update_fields=["title", "artist", "source_url", "review", "suggested_at", "licence_confirmed", "submitted_by"]
    )
    return template
