"""Writes for couple templates: create from a picture, detect faces, set roles and faces, activate, archive;
the review queue's approve and reject, takedowns; a use counted towards popularity; favourites.

The admin, its actions, the crawler and the management commands all go through these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from faceengine import Engine, EngineError, detect_faces, get_engine, load_image
from gallery.models import Image, ImageType
from gallery.services import CleanImage, image_clean, image_delete, image_make_public, image_store

from .models import ROLES, CrawlTask, Favourite, Review, Template, validate_face_positions

logger = logging.getLogger(__name__)


class TemplateDuplicateError(ValidationError):
    """The picture is already a template (same sha256 of the stored bytes)."""

    def __init__(self, existing: Template) -> None:
        super().__init__(f"This picture is already template #{existing.pk} “{existing.title}”.", code="duplicate")
        self.existing = existing


def template_find_duplicate(*, sha256: str, exclude_image: Image | None = None) -> Template | None:
    """The site template whose stored picture has this sha256, if any (people's private scenes are theirs:
    an admin or a crawl may add the same picture to the gallery)."""
    images = Image.objects.filter(
        image_type=ImageType.TEMPLATE, owner__isnull=True, metadata__sha256=sha256, template__isnull=False
    )
    if exclude_image is not None:
        images = images.exclude(pk=exclude_image.pk)
    image = images.select_related("template").first()
    return image.template if image else None


def template_picture_clean(*, image_file: File) -> CleanImage:
    """Check a template picture without storing anything: the gallery's upload checks (lossless, so a
    PNG stays PNG), then TemplateDuplicateError when the same picture is already a template."""
    picture = image_clean(file=image_file, lossless=True)
    duplicate = template_find_duplicate(sha256=picture.sha256)
    if duplicate is not None:
        raise TemplateDuplicateError(duplicate)
    return picture


def template_create(
    *,
    image_file: File | None = None,
    picture: CleanImage | None = None,
    title: str,
    category: str | None = None,
    artist: str | None = None,
    source_url: str | None = None,
    description: str | None = None,
    tags: Iterable[str] = (),
    detect: bool = True,
    review: str | None = None,
    crawl_task: CrawlTask | None = None,
    metadata: dict[str, Any] | None = None,
) -> Template:
    """A new, inactive template from a picture, with its faces detected and roles proposed: the one way a
    template is made (the admin, `import_templates` and the crawler all come here).

    Give the uploaded `image_file`, or the `picture` an earlier `template_picture_clean` (or a crawl's own
    duplicate checks) passed. It is stored through the gallery (validated, stripped, thumbnailed) as an
    `images` row of type template with no owner, `metadata` added to the picture's own. The two largest
    faces are proposed as the couple, husband on the left. A crawled template comes with its `crawl_task`
    and `review` state (waiting). Raises ValidationError with a plain message for a bad picture or field,
    and TemplateDuplicateError when the same picture is already a template; nothing is stored then.
    """
    template = Template(
        title=(title or "").strip(),
        category=category or None,
        artist=(artist or "").strip() or None,
        source_url=(source_url or "").strip() or None,
        description=(description or "").strip() or None,
        face_positions=[],
        is_active=False,
        review=review,
        crawl_task=crawl_task,
    )
    # Field problems (empty title, bad URL, unknown category) are reported before anything is stored.
    template.full_clean(exclude=["image"])
    if picture is None:
        picture = template_picture_clean(image_file=image_file)
    image = image_store(
        clean=picture,
        owner=None,
        image_type=ImageType.TEMPLATE,
        category=category or None,
        tags=tuple(tags),
        metadata=metadata,
    )
    try:
        with transaction.atomic():
            template.image = image
            template.save()
    except Exception:
        image_delete(image=image)
        raise
    if detect:
        template_detect_faces(template=template)
    return template


def _engine() -> Engine:
    return get_engine(
        settings.FACESWAP_ENGINE,
        model_dir=settings.FACESWAP_INSIGHTFACE_DIR,
        providers=settings.FACESWAP_ONNX_PROVIDERS,
    )


def _read_picture(image: Image) -> np.ndarray:
    with image.file.open("rb") as fp:
        return load_image(fp.read(), what="template picture")


def _clip_box(box: list[float], width: int, height: int) -> list[float]:
    x1, y1, x2, y2 = box
    return [max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2)]


def _center_x(face: dict) -> float:
    return (face["box"][0] + face["box"][2]) / 2


def template_propose_roles(faces: list[dict]) -> list[dict]:
    """Roles for faces without one: the largest unassigned detected faces become the missing roles.

    With both roles free the two largest faces are the couple, the husband on the left; a role already
    held (by a face marked by hand) is left alone. Faces are expected largest first among the detected.
    """
    taken = {face["role"] for face in faces if face.get("role")}
    free = [role for role in ROLES if role not in taken]
    candidates = [face for face in faces if not face.get("role") and face.get("source") == "detected"][: len(free)]
    if len(candidates) == len(free) == 2:
        left, right = sorted(candidates, key=_center_x)
        left["role"], right["role"] = "husband", "wife"
    elif len(free) == 1 and candidates:
        candidates[0]["role"] = free[0]
    return faces


def template_detect_faces(*, template: Template) -> Template:
    """Detect the faces in the template's picture again and propose the couple's roles.

    The engine's thorough pass (small and tilted faces, a few seconds per picture): templates are
    searched once, at curation, and their faces stored, so swaps never search them again.

    Detected faces replace the previous detected ones; faces marked by hand are kept with their roles.
    An active template left without both roles is archived, so couples are never offered it broken.
    An unreadable picture leaves no detected faces (activation_problems() then says so).
    """
    image = template.image
    manual = [face for face in validate_face_positions(template.face_positions) if face["source"] == "manual"]
    detected: list[dict] = []
    if image is not None:
        try:
            found = detect_faces(_read_picture(image), engine=_engine(), thorough=True)
        except EngineError as exc:
            logger.warning("template %s: face detection failed: %s", template.pk, exc.message)
            found = []
        height, width = (image.height or 0), (image.width or 0)
        for face in found:
            entry = face.to_json() | {"role": None, "source": "detected"}
            if width and height:
                entry["box"] = _clip_box(entry["box"], width, height)
            detected.append(entry)
    faces = template_propose_roles([*manual, *detected])
    template.face_positions = validate_face_positions(faces)
    fields = ["face_positions"]
    if template.is_active and not template.roles_complete:
        template.is_active = False
        fields.append("is_active")
    template.save(update_fields=fields)
    return template


def _check_faces_for(template: Template, faces: Any) -> list[dict]:
    image = template.image
    faces = validate_face_positions(faces, width=image.width if image else None, height=image.height if image else None)
    if template.is_active:
        candidate = Template(image=image, face_positions=faces)
        if candidate.activation_problems():
            raise ValidationError(
                gettext(
                    "This template is active, so it must keep one husband face and one wife face; "
                    "archive it first to change that."
                ),
                code="active",
            )
    return faces


def template_set_faces(*, template: Template, faces: list[dict]) -> Template:
    """Replace the template's faces (e.g. boxes moved or faces marked by hand in the admin).

    Validated against the picture's size; an active template must keep both roles.
    """
    template.face_positions = _check_faces_for(template, faces)
    template.save(update_fields=["face_positions"])
    return template


def template_set_roles(*, template: Template, roles: Sequence[str | None]) -> Template:
    """Set each face's role, in face_positions order: "husband", "wife" or None.

    ValidationError when the number of roles does not match the faces or a role is given twice.
    """
    faces = validate_face_positions(template.face_positions)
    if len(roles) != len(faces):
        raise ValidationError(
            gettext("Give one role per face: the template has %(faces)d faces, %(roles)d roles were given.")
            % {"faces": len(faces), "roles": len(roles)},
            code="roles",
        )
    for face, role in zip(faces, roles, strict=True):
        face["role"] = role or None
    return template_set_faces(template=template, faces=faces)


def template_switch_roles(*, template: Template) -> Template:
    """Swap the two people of a template (the face marked husband becomes wife and back), e.g. for a
    picture imported with the roles the wrong way round. ValidationError unless both roles are set."""
    faces = validate_face_positions(template.face_positions)
    roles = [face.get("role") for face in faces]
    if roles.count("husband") != 1 or roles.count("wife") != 1:
        raise ValidationError(gettext("Mark one face for each partner before switching them."), code="roles")
    flipped = {"husband": "wife", "wife": "husband"}
    return template_set_roles(template=template, roles=[flipped.get(role) for role in roles])


def template_activate(*, template: Template) -> Template:
    """Offer the template to couples; refused (ValidationError with the reasons) without both roles."""
    problems = template.activation_problems()
    if problems:
        raise ValidationError(problems, code="activate")
    if not template.is_active:
        template.is_active = True
        template.save(update_fields=["is_active"])
    return template


def template_archive(*, template: Template) -> Template:
    """Withdraw the template from the gallery; swaps already made from it keep their history."""
    if template.is_active is not False:
        template.is_active = False
        template.save(update_fields=["is_active"])
    return template


def template_set_tags(*, template: Template, tags: Iterable[str]) -> Template:
    """Replace the tags of the template's picture (the gallery's tag filters)."""
    if template.image is not None:
        template.image.tags.set([tag.strip() for tag in tags if tag.strip()], clear=True)
    return template


def template_delete(*, template: Template) -> None:
    """Delete a template and its picture (files included). Templates that swaps used are protected:
    Django raises RestrictedError for them, and they should be archived instead."""
    image = template.image
    with transaction.atomic():
        template.delete()
        if image is not None:
            image_delete(image=image)


def template_reject(*, template: Template) -> Template:
    """Reject a crawled template: it leaves the queue, stays out of the gallery, and blocks re-crawling it."""
    template.review = Review.REJECTED
    template.is_active = False
    template.save(update_fields=["review", "is_active"])
    return template


def template_approve(*, template: Template) -> Template:
    """Approve a crawled template and put it in the gallery; ValidationError with the reasons otherwise.

    A person's own template in the queue: suggested for the gallery, the site takes it over (its owner
    cleared, its picture made public, the submitter kept for the attribution); held because the content
    gate found it borderline, it stays theirs and private and they may use it."""
    if template.owner_id is not None and template.suggested_at is None:
        template.review = Review.APPROVED
        template.save(update_fields=["review"])
        return template
    if template.owner_id is not None:
        problems = template.activation_problems()
        if problems:
            raise ValidationError(problems, code="activate")
        with transaction.atomic():
            image_make_public(image=template.image)
            template.owner = None
            template.is_active = True
            template.review = Review.APPROVED
            template.save(update_fields=["owner", "is_active", "review"])
        return template
    template_activate(template=template)
    template.review = Review.APPROVED
    template.save(update_fields=["review"])
    return template


def template_takedown(*, template: Template, reason: str) -> Template:
    """Take a template out of the gallery for good (a rights holder's request, say), recording why.

    The row and picture stay, so the same picture is skipped as a duplicate by later crawls, and swaps
    made from it keep their history. It cannot be activated again while taken down.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(gettext("Say why the template is taken down (e.g. “the artist asked us to remove it”)."))
    template.is_active = False
    template.takedown_reason = reason[:2000]
    template.taken_down_at = timezone.now()
    template.save(update_fields=["is_active", "takedown_reason", "taken_down_at"])
    return template


def template_count_use(*, template_id: int) -> None:
    """One more swap made with this template: its popularity (the gallery's "popular" order and the "used
    for N swaps" line) follows. Call it in the transaction that records the swap as done."""
    Template.objects.filter(pk=template_id).update(popularity_score=F("popularity_score") + 1)


def favourite_toggle(*, user, template: Template) -> bool:
    """Mark a template as a favourite, or unmark it; True when it is a favourite now."""
    deleted, _ = Favourite.objects.filter(user=user, template=template).delete()
    if deleted:
        return False
    Favourite.objects.get_or_create(user=user, template=template)
    return True
