"""Asking for a swap: the template and both photos checked, new uploads stored, the task written and queued."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from faceengine import ROLES, Face
from gallery.models import PHOTO_TRIED_KEY, Image
from templates.models import Template

from ..models import Album, FaceSwapTask, PartnerConsent
from .base import SwapError
from .consent import consent_for_partner, holder_face_check
from .fair_use import swap_dispatch, swap_fair_use_check, swap_fair_use_hold
from .photos import CHOOSE_ROLE_PHOTO, PersonPhoto, PhotoCheck, check_photo, stored_face, swap_photo_prepare

Status = FaceSwapTask.Status


def template_faces_for_swap(template: Template) -> dict[str, Face]:
    """The template's husband and wife faces as engine Faces; SwapError when a role is missing."""
    faces = {}
    for entry in template.face_positions or []:
        role = entry.get("role")
        if role in ROLES and role not in faces:
            faces[role] = Face.from_json(entry)
    if set(faces) != set(ROLES):
        raise SwapError(
            "This template is not ready yet (it needs a husband face and a wife face). Please pick another."
        )
    return faces


class SwapSubmitError(ValidationError):
    """A swap that cannot be submitted: per-field messages ("husband", "wife", NON_FIELD_ERRORS).

    `photos` holds the photos that are stored (new uploads that passed, chosen photos), so a form can
    keep them chosen, and `checks` what each photo's check said.
    """

    def __init__(self, errors: dict[str, list[str]], photos: dict[str, Image], checks: dict[str, PhotoCheck]) -> None:
        super().__init__(errors)
        self.photos = photos
        self.checks = checks


def swap_submit(
    *,
    user,
    template: Template,
    husband: PersonPhoto,
    wife: PersonPhoto,
    album: Album | None = None,
    this_is_me: bool = False,
) -> FaceSwapTask:
    """The one way to ask for a swap: check the template and both photos, store new uploads, queue it.

    Each photo is validated (an upload through the gallery's checks, never stored if refused; the same
    bytes uploaded again reuse the earlier photo) and its face is checked once and kept with the photo,
    where the worker finds it again. Raises SwapSubmitError with a message per field; otherwise writes a
    pending task and queues its id when the transaction commits.
    """
    if album is None:  # an album's swaps are checked together, by album_submit
        try:
            swap_fair_use_check(user=user)  # before any photo is checked or stored
        except SwapError as exc:
            raise SwapSubmitError({NON_FIELD_ERRORS: [exc.message]}, {}, {}) from exc
    errors: dict[str, list[str]] = {}
    try:
        check_template(template, user=user)
    except SwapError as exc:
        errors[NON_FIELD_ERRORS] = [exc.message]
    photos, checks = prepare_partners(user=user, husband=husband, wife=wife, errors=errors)
    if not errors and photos["husband"] == photos["wife"] and checks["husband"].chosen == checks["wife"].chosen:
        errors["wife"] = ["You both chose the same face of this photo: tap your partner's face in it."]
    if not errors:
        try:
            # "You" must be the holder's own face (confirmed once); the partner's waits for their agreement.
            holder_face_check(
                user=user, image=photos["husband"], face_index=checks["husband"].chosen, this_is_me=this_is_me
            )
        except SwapError as exc:
            errors["husband"] = [exc.message]
    if errors:
        raise SwapSubmitError(errors, photos, checks)
    try:
        with transaction.atomic():
            if album is None:
                # Counted again under the person's row lock: concurrent submits cannot pass the caps.
                swap_fair_use_hold(user=user)
            # The partner's face waits for the partner's agreement (asked once per face; services.consent).
            consent = consent_for_partner(user=user, image=photos["wife"], face_index=checks["wife"].chosen)
            return swap_create(
                user=user,
                template=template,
                husband_image=photos["husband"],
                wife_image=photos["wife"],
                faces={role: checks[role].chosen for role in ROLES},
                album=album,
                consent=consent,
            )
    except SwapError as exc:
        raise SwapSubmitError({NON_FIELD_ERRORS: [exc.message]}, photos, checks) from exc


def prepare_partners(
    *, user, husband: PersonPhoto, wife: PersonPhoto, errors: dict[str, list[str]]
) -> tuple[dict[str, Image], dict[str, PhotoCheck]]:
    """Both partners' photos prepared (swap_photo_prepare): the stored photos and their checks by role;
    what is missing or refused is added to `errors` by role."""
    photos: dict[str, Image] = {}
    checks: dict[str, PhotoCheck] = {}
    for role, person in zip(ROLES, (husband, wife), strict=True):
        if not person.given:
            errors[role] = [str(CHOOSE_ROLE_PHOTO[role])]
            continue
        # The partner checked first has their face; the same photo offers the other one the rest.
        first = ROLES[0]
        partner = (photos[first].pk, checks[first].chosen) if role != first and first in photos else None
        image, checks[role] = swap_photo_prepare(user=user, person=person, role=role, partner=partner)
        if image is not None:
            photos[role] = image
        if not checks[role].ok:
            errors[role] = [checks[role].message]
    return photos, checks


def check_template(template: Template, *, user=None) -> dict[str, Face]:
    # A site template while it is active; a person's own template for its owner alone.
    if not template.usable_by(user):
        raise SwapError(_("This template is no longer available. Please pick another."))
    return template_faces_for_swap(template)


@transaction.atomic
def swap_create(
    *,
    user,
    template: Template,
    husband_image: Image,
    wife_image: Image,
    faces: dict[str, int] | None = None,
    album: Album | None = None,
    consent: PartnerConsent | None = None,
) -> FaceSwapTask:
    """Save a pending task for photos already checked, and queue it once the transaction commits.

    `swap_submit` is the entry for requests; this is its last step (also used by tools and tests).
    `faces` gives, per role, the index of the photo's usable face to take (default the largest); that
    face is copied onto the task (`source_faces`), so the worker swaps exactly it.
    It is queued when its owner has no other swap in the queue (`swap_dispatch`); if the queue cannot be
    reached it stays pending and the worker's periodic `swaps_dispatch_pending` queues it later.
    `consent`: the partner's agreement it waits for (swap_submit asks for one; staff tools such as
    seed_demo_swaps, which use packaged pictures, give none); it runs only once that agreement is given.
    """
    check_template(template, user=user)
    images = {"husband": husband_image, "wife": wife_image}
    source_faces = {}
    for role, image in images.items():
        check_photo(user=user, image=image, role=role)
        index = (faces or {}).get(role, 0)
        face = stored_face(image, index)
        if face is not None:
            source_faces[role] = {"image": image.pk, "index": index, "face": face.to_json()}
    task = FaceSwapTask.objects.create(
        user=user,
        template=template,
        husband_image=husband_image,
        wife_image=wife_image,
        source_faces=source_faces,
        album=album,
        consent=consent,
        status=Status.PENDING,
        progress=0,
    )
    for image in {husband_image.pk: husband_image, wife_image.pk: wife_image}.values():
        if (image.metadata or {}).get(PHOTO_TRIED_KEY):
            # Used in a swap now: one of My photos like any other.
            image.metadata = {k: v for k, v in image.metadata.items() if k != PHOTO_TRIED_KEY}
            image.save(update_fields=["metadata"])
    transaction.on_commit(lambda: swap_dispatch(user_id=user.pk))
    return task
