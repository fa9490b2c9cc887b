"""Writes for face-swap tasks: create and enqueue, run (claim exactly once), fail, retry, delete."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from redis.exceptions import RedisError

from faceengine import ROLES, EngineError, Face, face_quality, get_engine, load_image, swap_couple
from gallery.models import Image, ImageType
from gallery.selectors import image_find_duplicate
from gallery.services import image_clean, image_delete, image_store, image_store_generated
from jobs import JobKind, is_timeout, stuck_repair
from templates.models import Template
from templates.services import template_count_use

from .models import STEPS, Album, FaceSwapTask, ShareLink

logger = logging.getLogger(__name__)

Status = FaceSwapTask.Status
# One job per swap on the `swaps` queue; the job carries its owner's id (meta) for fair queueing.
SWAP_JOBS = JobKind(
    name="swap",
    queue="swaps",
    task="swaps.tasks.swap_run_task",
    timeout_setting="SWAP_JOB_TIMEOUT",
    result_ttl=3600,
    what="swap",
    doing="making",
    advice="Please try again, or use smaller photos.",
)

# Progress (percent) reported at the start of each step of a run.
PROGRESS = {step.name: step.progress for step in STEPS}


class SwapError(Exception):
    """A request that cannot become a swap; `message` is shown to the person as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def engine_get():
    """This process's face engine (models load on first use, then stay loaded)."""

    return get_engine(
        settings.FACESWAP_ENGINE,
        model_dir=settings.FACESWAP_INSIGHTFACE_DIR,
        providers=settings.FACESWAP_ONNX_PROVIDERS,
    )


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


@dataclass(frozen=True)
class PersonPhoto:
    """One partner's photo for a swap: one of the user's photos, or a new upload (which wins)."""

    image: Image | None = None
    upload: File | None = None
    # Which of the photo's usable faces (largest first) is this partner's; None: the largest.
    face: int | None = None

    @property
    def given(self) -> bool:
        return self.image is not None or self.upload is not None


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
    *, user, template: Template, husband: PersonPhoto, wife: PersonPhoto, album: Album | None = None
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
        _check_template(template)
    except SwapError as exc:
        errors[NON_FIELD_ERRORS] = [exc.message]
    photos, checks = _prepare_partners(user=user, husband=husband, wife=wife, errors=errors)
    if not errors and photos["husband"] == photos["wife"] and checks["husband"].chosen == checks["wife"].chosen:
        errors["wife"] = ["You both chose the same face of this photo: tap your partner's face in it."]
    if errors:
        raise SwapSubmitError(errors, photos, checks)
    return swap_create(
        user=user,
        template=template,
        husband_image=photos["husband"],
        wife_image=photos["wife"],
        faces={role: checks[role].chosen for role in ROLES},
        album=album,
    )


def _prepare_partners(
    *, user, husband: PersonPhoto, wife: PersonPhoto, errors: dict[str, list[str]]
) -> tuple[dict[str, Image], dict[str, PhotoCheck]]:
    """Both partners' photos prepared (swap_photo_prepare): the stored photos and their checks by role;
    what is missing or refused is added to `errors` by role."""
    photos: dict[str, Image] = {}
    checks: dict[str, PhotoCheck] = {}
    for role, person in zip(ROLES, (husband, wife), strict=True):
        if not person.given:
            errors[role] = [f"Choose {ROLE_WORDS[role]} photo from your photos, or upload one."]
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


def _check_template(template: Template) -> dict[str, Face]:
    if not template.is_active:
        raise SwapError("This template is no longer available. Please pick another.")
    return template_faces_for_swap(template)


def _check_photo(*, user, image: Image | None, role: str) -> Image:
    if image is None or image.owner_id != user.pk or image.image_type != ImageType.SOURCE:
        raise SwapError(f"Please choose {ROLE_WORDS[role]} photo from your photos or upload one.")
    return image


@transaction.atomic
def swap_create(
    *,
    user,
    template: Template,
    husband_image: Image,
    wife_image: Image,
    faces: dict[str, int] | None = None,
    album: Album | None = None,
) -> FaceSwapTask:
    """Save a pending task for photos already checked, and queue it once the transaction commits.

    `swap_submit` is the entry for requests; this is its last step (also used by tools and tests).
    `faces` gives, per role, the index of the photo's usable face to take (default the largest); that
    face is copied onto the task (`source_faces`), so the worker swaps exactly it.
    It is queued when its owner has no other swap in the queue (`swap_dispatch`); if the queue cannot be
    reached it stays pending and the worker's periodic `swaps_dispatch_pending` queues it later.
    """
    _check_template(template)
    images = {"husband": husband_image, "wife": wife_image}
    source_faces = {}
    for role, image in images.items():
        _check_photo(user=user, image=image, role=role)
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
        status=Status.PENDING,
        progress=0,
    )
    transaction.on_commit(lambda: swap_dispatch(user_id=user.pk))
    return task


def swap_enqueue(*, task_id: int, user_id: int | None = None) -> bool:
    """Put a task's id on the swaps queue; False (and a log line) when Redis cannot be reached.

    user_id goes with the job (meta) so the owner's next swap can be queued when it ends.
    """
    return SWAP_JOBS.enqueue(task_id, meta={"user_id": user_id})


def _set_progress(task_id: int, step: str) -> None:
    FaceSwapTask.objects.filter(pk=task_id, status=Status.PROCESSING).update(progress=PROGRESS[step])


def _read_image(image: Image | None, what: str, *, keep_alpha: bool = False):

    if image is None:
        raise SwapError(f"The {what} was deleted. Please choose it again and try once more.")
    with image.file.open("rb") as fp:
        return load_image(fp.read(), what=what, keep_alpha=keep_alpha)


def swap_run(*, task_id: int) -> FaceSwapTask | None:
    """Run one task: claim it (pending -> processing, exactly once), swap, save the result.

    Returns the finished task, or None when there was nothing to do (deleted, already claimed, not
    pending). A problem with the photos or the template fails the task with the engine's plain message;
    anything unexpected fails it with a generic message, is logged, and is raised again for RQ's records.
    """
    started = timezone.now()
    claimed = FaceSwapTask.objects.filter(pk=task_id, status=Status.PENDING).update(
        status=Status.PROCESSING, started_at=started, progress=PROGRESS["claimed"], error_message=None
    )
    if not claimed:
        logger.info("Swap task %s: nothing to do (deleted, or not pending)", task_id)
        return None
    clock = time.perf_counter()
    try:
        task = FaceSwapTask.objects.select_related("template__image", "husband_image", "wife_image", "user").get(
            pk=task_id
        )
        result, report = _swap(task)
        _set_progress(task_id, "saving")
        return _complete(task, result, report, seconds=time.perf_counter() - clock)
    except FaceSwapTask.DoesNotExist:
        logger.info("Swap task %s was deleted while it ran", task_id)
        return None
    except Exception as exc:
        if not FaceSwapTask.objects.filter(pk=task_id).exists():
            # Deleted while it ran (its owner deleted the swap or the whole account): nothing to report;
            # what it stored on the way was removed with it or by image_store's own clean-up.
            logger.info("Swap task %s was deleted while it ran (%s)", task_id, type(exc).__name__)
            return None
        if isinstance(exc, EngineError | SwapError):
            swap_fail(task_id=task_id, message=exc.message, seconds=time.perf_counter() - clock)
            return FaceSwapTask.objects.get(pk=task_id)
        if not is_timeout(exc):
            logger.exception("Swap task %s failed unexpectedly", task_id)
        swap_fail(task_id=task_id, message=SWAP_JOBS.error_for(exc), seconds=time.perf_counter() - clock)
        raise


def _swap(task: FaceSwapTask):

    _set_progress(task.pk, "loading")
    if task.template is None or task.template.image is None:
        raise SwapError("This template is no longer available. Please pick another.")
    template_faces = template_faces_for_swap(task.template)
    # A transparent template gives a transparent result (the engine paints only where it is opaque).
    template = _read_image(task.template.image, "template", keep_alpha=True)
    husband = _read_image(task.husband_image, "photo of you")
    wife = _read_image(task.wife_image, "photo of your partner")
    return swap_couple(
        template,
        template_faces,
        husband,
        wife,
        engine=engine_get(),
        progress=lambda stage: _set_progress(task.pk, stage),
        source_faces={role: task.source_face(role) for role in ROLES},
    )


def _complete(task: FaceSwapTask, result, report: dict, *, seconds: float) -> FaceSwapTask:
    image = image_store_generated(
        owner=task.user,
        picture=result,
        image_type=ImageType.RESULT,
        category=task.template.category,
        # An RGBA result (from a transparent template) is stored as a PNG with its alpha.
        filename=f"swap-{task.pk}.png" if result.ndim == 3 and result.shape[2] == 4 else f"swap-{task.pk}.jpg",
    )
    try:
        image.metadata = {**(image.metadata or {}), "swap": {**report, "task": task.pk}}
        image.save(update_fields=["metadata"])
        with transaction.atomic():
            done = FaceSwapTask.objects.filter(pk=task.pk, status=Status.PROCESSING).update(
                status=Status.COMPLETED,
                progress=PROGRESS["done"],
                result_image=image,
                processing_time=seconds,
                completed_at=timezone.now(),
                error_message=None,
            )
            if done:
                template_count_use(template_id=task.template_id)
    except BaseException:
        # Stopped half-way (e.g. the job timeout fired): no result file without a task pointing at it.
        image_delete(image=image)
        raise
    if not done:
        # The task was failed or deleted meanwhile (e.g. by requeue_stuck_tasks): keep no orphan file.
        image_delete(image=image)
        return FaceSwapTask.objects.filter(pk=task.pk).first()
    task.refresh_from_db()
    return task


def swap_fail(*, task_id: int, message: str, seconds: float | None = None) -> bool:
    """Mark a pending or processing task failed with a message for its owner; False if it was not."""
    fields: dict[str, Any] = {"status": Status.FAILED, "error_message": message, "completed_at": timezone.now()}
    if seconds is not None:
        fields["processing_time"] = seconds
    return bool(
        FaceSwapTask.objects.filter(pk=task_id, status__in=[Status.PENDING, Status.PROCESSING]).update(**fields)
    )


@transaction.atomic
def swap_retry(*, task: FaceSwapTask) -> FaceSwapTask:
    """Send a failed task back to the queue with the same template and photos."""
    if task.status != Status.FAILED:
        raise SwapError("Only a failed swap can be tried again.")
    if task.template is None or not task.template.is_active:
        raise SwapError("This template is no longer available. Please pick another.")
    if task.husband_image_id is None or task.wife_image_id is None:
        raise SwapError("One of the photos of this swap was deleted. Please start a new swap.")
    reset = FaceSwapTask.objects.filter(pk=task.pk, status=Status.FAILED).update(
        status=Status.PENDING,
        progress=0,
        error_message=None,
        started_at=None,
        completed_at=None,
        processing_time=None,
    )
    if reset:
        transaction.on_commit(lambda: SWAP_JOBS.job_delete(task.pk))
        transaction.on_commit(lambda: swap_dispatch(user_id=task.user_id))
    task.refresh_from_db()
    return task


# How long a deleted swap waits in its owner's trash before it is deleted for good.
TRASH_DAYS = 30


def swap_trash(*, task: FaceSwapTask) -> FaceSwapTask:
    """Move a finished (or waiting) swap to its owner's trash: hidden from My swaps, restorable for
    TRASH_DAYS. A waiting swap is failed first, so no worker makes it meanwhile."""
    if task.status == Status.PROCESSING:
        raise SwapError("This swap is being made right now; you can delete it once it has finished.")
    swap_fail(task_id=task.pk, message="Deleted before it was made.")
    FaceSwapTask.objects.filter(pk=task.pk, deleted_at__isnull=True).update(deleted_at=timezone.now())
    task.refresh_from_db()
    return task


def swap_restore(*, task: FaceSwapTask) -> FaceSwapTask:
    """Take a swap back out of the trash."""
    FaceSwapTask.objects.filter(pk=task.pk).update(deleted_at=None)
    task.refresh_from_db()
    return task


def swaps_empty_trash(*, days: int = TRASH_DAYS) -> int:
    """Delete for good the swaps (and their results) that have been in the trash longer than `days`."""
    old = FaceSwapTask.objects.filter(deleted_at__lt=timezone.now() - timedelta(days=days)).select_related(
        "result_image"
    )
    count = 0
    for task in old:
        swap_delete(task=task)
        count += 1
    return count


def swap_delete(*, task: FaceSwapTask) -> None:
    """Delete a task and its result image (file included) for good. Source photos stay in My photos."""
    if task.status == Status.PROCESSING:
        raise SwapError("This swap is being made right now; you can delete it once it has finished.")
    task_id, result = task.pk, task.result_image
    with transaction.atomic():
        task.delete()
        if result is not None:
            image_delete(image=result)
    SWAP_JOBS.job_delete(task_id)


def swap_trash_empty(*, user) -> int:
    """Delete every swap in the user's trash for good (each as swap_delete does); how many were deleted."""
    tasks = FaceSwapTask.objects.filter(user=user, deleted_at__isnull=False).exclude(status=Status.PROCESSING)
    count = 0
    for task in tasks.select_related("result_image"):
        swap_delete(task=task)
        count += 1
    return count


def swaps_requeue_stuck(*, older_than: timedelta) -> dict[str, int]:
    """Repair tasks that would otherwise wait forever; safe to run from cron, and twice.

    - processing, whose job is gone, failed, or whose worker has died, or that started longer ago
      than `older_than` (longer than any job may run): failed with a plain message ("Try again");
    - pending for longer than `older_than` without a job in the queue (Redis was down at submit):
      queued again.
    """
    return stuck_repair(
        kind=SWAP_JOBS,
        processing=FaceSwapTask.objects.filter(status=Status.PROCESSING),
        pending=FaceSwapTask.objects.filter(status=Status.PENDING),
        older_than=older_than,
        fail=lambda task_id: swap_fail(task_id=task_id, message=SWAP_JOBS.abandoned_error),
        # Each owner's oldest pending swap goes to the queue (fair queueing), not every pending swap.
        requeue=lambda pending: (
            swap_dispatch(user_id=user_id) for user_id in pending.values_list("user_id", flat=True).distinct()
        ),
    )


@dataclass
class PhotoCheck:
    """What a person is told about a photo: usable or not, why, and the faces they may pick from."""

    ok: bool
    message: str
    notes: list[str] = field(default_factory=list)
    # The usable faces' boxes, largest first (the crops a person taps), what to expect of each ("" when
    # nothing to say), and the one chosen.
    boxes: list[list[float]] = field(default_factory=list)
    face_notes: list[str] = field(default_factory=list)
    chosen: int = 0


# Where a photo's face check is kept (Image.metadata): every usable face, largest first, in the stored
# picture's pixels, and the verdict. The worker swaps the face chosen from this list, never detects again.
FACES_KEY = "faces"
CHECK_KEY = "face_check"

# The words for each of the seed's two roles: the site speaks of "you and your partner".
ROLE_WORDS = {"husband": "your", "wife": "your partner's"}


def _usable_faces(picture: np.ndarray) -> tuple[list[Face], str | None]:
    try:
        return engine_get().person_faces(picture), None
    except EngineError as exc:
        return [], exc.message


def _check_metadata(faces: list[Face], refusal: str | None) -> dict[str, Any]:
    return {
        FACES_KEY: [face.to_json() for face in faces],
        CHECK_KEY: {"ok": refusal is None, "message": refusal or ""},
    }


# What a face's quality codes (faceengine.face_quality) mean to the person choosing it.
QUALITY_WORDS = {
    "small": gettext_lazy("small, the result will be soft"),
    "turned": gettext_lazy("turned to the side, the result may look less like you"),
}


def _face_note(face: dict[str, Any]) -> str:
    """What to expect of one kept face ("" when nothing to say)."""
    return ", ".join(str(QUALITY_WORDS[code]) for code in face_quality(Face.from_json(face)))


def _check_from_metadata(
    metadata: dict[str, Any], chosen: int | None, *, role: str = ROLES[0], partner_face: int | None = None
) -> PhotoCheck:
    """What the check kept with a photo tells the person choosing it for role; partner_face: the face of
    this photo the other partner has (None when they chose another photo or none)."""
    faces = metadata.get(FACES_KEY) or []
    verdict = metadata.get(CHECK_KEY) or {}
    if not verdict.get("ok") or not faces:
        return PhotoCheck(ok=False, message=verdict.get("message") or "This photo has no face we can use.")
    boxes = [face["box"] for face in faces]
    face_notes = [_face_note(face) for face in faces]
    if chosen is not None and not 0 <= chosen < len(faces):
        return PhotoCheck(ok=False, message="Please tap the face to use in this photo.", boxes=boxes)
    if len(faces) == 1 and partner_face is not None:
        # The one face is the other partner's: never "we found the face" to the second one.
        message = (
            gettext("This photo shows only one face, and it is already yours: choose a photo of your partner.")
            if role != ROLES[0]
            else gettext("This photo shows only one face, and it is already your partner's: choose a photo of you.")
        )
        return PhotoCheck(ok=False, message=message, boxes=boxes, face_notes=face_notes)
    if len(faces) == 1:
        message = "We found the face in this photo."
        notes = [gettext("This face is %(quality)s.") % {"quality": face_notes[0]}] if face_notes[0] else []
    else:
        message = f"This photo shows {len(faces)} faces: tap the one to use."
        notes = []
        if chosen is None and partner_face is not None:
            chosen = next(index for index in range(len(faces)) if index != partner_face)
            notes = [gettext("The face your partner did not take is chosen for now.")]
        elif chosen is None:
            notes = ["The largest face is chosen for now."]
    return PhotoCheck(ok=True, message=message, notes=notes, boxes=boxes, face_notes=face_notes, chosen=chosen or 0)


def photo_is_checked(image: Image) -> bool:
    """Whether a photo's faces were looked for (photos checked before several faces were kept were not)."""
    return FACES_KEY in (image.metadata or {})


def swap_photo_check(
    *, image: Image, face: int | None = None, role: str = ROLES[0], partner: tuple[int, int | None] | None = None
) -> PhotoCheck:
    """A photo's usable faces, looked for once: kept with the photo (metadata) and reused by later checks
    and by the worker. `face` is the index of the face the person picked (None: the largest, or the first
    one the partner has not taken). partner: the other partner's (photo id, face index), when chosen."""
    if not photo_is_checked(image):
        try:
            picture = _read_image(image, "photo")
        except (EngineError, SwapError) as exc:
            return PhotoCheck(ok=False, message=exc.message)
        image.metadata = {**(image.metadata or {}), **_check_metadata(*_usable_faces(picture))}
        image.save(update_fields=["metadata"])
    partner_face = None
    if partner is not None and partner[0] == image.pk:
        partner_face = partner[1] or 0
    return _check_from_metadata(image.metadata, face, role=role, partner_face=partner_face)


def swap_photo_prepare(
    *, user, person: PersonPhoto, role: str, partner: tuple[int, int | None] | None = None
) -> tuple[Image | None, PhotoCheck]:
    """A partner's photo ready for a swap: (the stored photo or None, its check).

    A chosen photo must be one of the user's own. A new upload is validated and its faces looked for
    before anything is written; it is stored (with its faces) only when one is usable, and the same bytes
    uploaded again give back the earlier photo. partner: the other partner's (photo id, face index).
    """
    if person.upload is None:
        try:
            image = _check_photo(user=user, image=person.image, role=role)
        except SwapError as exc:
            return None, PhotoCheck(ok=False, message=exc.message)
        return image, swap_photo_check(image=image, face=person.face, role=role, partner=partner)
    try:
        clean = image_clean(file=person.upload)
    except ValidationError as exc:
        return None, PhotoCheck(ok=False, message=" ".join(exc.messages))
    earlier = image_find_duplicate(owner=user, sha256=clean.sha256)
    if earlier is not None:
        return earlier, swap_photo_check(image=earlier, face=person.face, role=role, partner=partner)
    try:
        picture = load_image(clean.data, what="photo")
    except EngineError as exc:
        return None, PhotoCheck(ok=False, message=exc.message)
    faces, refusal = _usable_faces(picture)
    if refusal is not None:
        return None, PhotoCheck(ok=False, message=refusal)
    image = image_store(clean=clean, owner=user, image_type=ImageType.SOURCE)
    image.metadata = {**image.metadata, **_check_metadata(faces, None)}
    image.save(update_fields=["metadata"])
    return image, swap_photo_check(image=image, face=person.face, role=role, partner=partner)


def stored_face(image: Image | None, index: int = 0) -> Face | None:
    """A usable face kept with a photo by its check (None when it was never checked)."""
    faces = (image.metadata or {}).get(FACES_KEY) if image is not None else None
    return Face.from_json(faces[index]) if faces and 0 <= index < len(faces) else None


# How long a share link may live, in days: the owner picks one.
SHARE_DAYS = (1, 7, 30)


def share_create(*, user, task: FaceSwapTask, days: int) -> ShareLink:
    """A new link showing this finished swap's result to anyone who has it, for `days` days.

    The token carries 192 random bits (secrets.token_urlsafe(24)), so links cannot be guessed.
    """
    if task.user_id != user.pk:
        raise SwapError("Only the owner of a swap can share it.")
    if task.status != Status.COMPLETED or task.result_image_id is None or task.deleted_at is not None:
        raise SwapError("Only a finished swap can be shared.")
    if days not in SHARE_DAYS:
        raise SwapError("Choose how long the link works: 1 day, 7 days or 30 days.")
    now = timezone.now()
    return ShareLink.objects.create(
        task=task, token=secrets.token_urlsafe(24), created_at=now, expires_at=now + timedelta(days=days)
    )


def share_revoke(*, link: ShareLink) -> ShareLink:
    """Stop a link at once (it answers 404 from now on)."""
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db()
    return link


def share_count_view(*, link: ShareLink) -> None:
    """Count one view of a shared page."""
    ShareLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1)


def album_submit(*, user, templates: list[Template], husband: PersonPhoto, wife: PersonPhoto) -> Album:
    """Try the same two photos on several templates: one album, one ordinary swap per template.

    The photos are prepared once (uploads stored, faces checked) and each swap goes through swap_submit
    like any other. All or nothing: if one cannot be submitted, none is (SwapSubmitError, the template's
    title named for a template problem).
    """
    if not 1 <= len(templates) <= Album.MAX_TEMPLATES:
        raise SwapSubmitError(
            {NON_FIELD_ERRORS: [f"Pick between 1 and {Album.MAX_TEMPLATES} templates."]}, photos={}, checks={}
        )
    try:
        most = max(settings.SWAPS_MAX_ACTIVE_PER_USER, Album.MAX_TEMPLATES)
        swap_fair_use_check(user=user, adding=len(templates), most=most)
    except SwapError as exc:
        raise SwapSubmitError({NON_FIELD_ERRORS: [exc.message]}, {}, {}) from exc
    errors: dict[str, list[str]] = {}
    photos, checks = _prepare_partners(user=user, husband=husband, wife=wife, errors=errors)
    if errors:
        raise SwapSubmitError(errors, photos, checks)
    people = {role: PersonPhoto(image=photos[role], face=checks[role].chosen) for role in ROLES}
    with transaction.atomic():
        album = Album.objects.create(user=user)
        for template in templates:
            try:
                swap_submit(user=user, template=template, album=album, **people)
            except SwapSubmitError as exc:
                messages = exc.message_dict
                if NON_FIELD_ERRORS in messages:
                    messages[NON_FIELD_ERRORS] = [f"“{template.title}”: {m}" for m in messages[NON_FIELD_ERRORS]]
                raise SwapSubmitError(messages, photos, checks) from exc
    return album


# --- Fair use and fair queueing (issue 11) -------------------------------------------------------------
# Each person has at most one job in the swaps queue: their next swap is queued when the previous one
# ends (or by the worker's periodic pass). One person's flood then delays another's swap by at most the
# one job of theirs already queued, whatever the number of workers. A Redis key per person (the "slot")
# holds the id of their queued task; the conditional claim in swap_run makes a double queueing harmless.

SLOT_KEY = "faceswap:swaps:slot:{user_id}"
# A slot outlives any wait in the queue; one whose job vanished is released by the next swap_dispatch.
SLOT_TTL = 6 * 3600


def _active_swaps(user):
    return FaceSwapTask.objects.filter(user=user, status__in=[Status.PENDING, Status.PROCESSING])


def _typical_swap_seconds() -> float:
    recent = FaceSwapTask.objects.filter(status=Status.COMPLETED, processing_time__isnull=False).order_by(
        "-completed_at"
    )[:20]
    times = [task.processing_time for task in recent]
    return sum(times) / len(times) if times else 15.0


def swap_fair_use_check(*, user, adding: int = 1, most: int | None = None) -> None:
    """SwapError, saying when to try again, when user may not submit `adding` more swaps now.

    At most SWAPS_MAX_ACTIVE_PER_USER swaps waiting or being made (an album may give a larger `most`: its
    swaps are asked for together), and SWAPS_MAX_PER_HOUR started in the last hour. Counted in the
    database, so the limits hold while Redis is down.
    """
    most = settings.SWAPS_MAX_ACTIVE_PER_USER if most is None else most
    active = _active_swaps(user).count()
    if active + adding > most:
        wait = max(10, round(_typical_swap_seconds() * (active + adding - most) / 10) * 10)
        asked = "" if adding == 1 else f" and this asks for {adding} more"
        raise SwapError(
            f"You already have {active} swaps waiting or being made{asked} (the limit is {most} at a time). "
            f"Please try again in about {wait} seconds, when some of them have finished."
        )
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = FaceSwapTask.objects.filter(user=user, created_at__gte=hour_ago).order_by("created_at")
    per_hour = settings.SWAPS_MAX_PER_HOUR
    if recent.count() + adding > per_hour:
        first = recent.first()
        again = timezone.localtime((first.created_at if first else timezone.now()) + timedelta(hours=1))
        raise SwapError(
            f"You have started {recent.count()} swaps in the last hour; {per_hour} is the most we allow. "
            f"Please try again after {again:%H:%M} ({again.tzname()})."
        )


def swap_dispatch(*, user_id: int) -> bool:
    """Queue the owner's oldest pending swap unless one of theirs is already queued; True if it queued one.

    A slot whose task is no longer waiting in the queue (its job was lost with Redis, or its worker
    died) is released first. False when nothing was queued: the slot is taken, nothing is pending, or
    Redis is down (logged; the worker's periodic pass tries again).
    """
    try:
        connection = SWAP_JOBS.connection()
        key = SLOT_KEY.format(user_id=user_id)
        holder = connection.get(key)
        if holder is not None:
            if SWAP_JOBS.job_is_waiting(int(holder), connection=connection):
                return False
            connection.delete(key)
        task = FaceSwapTask.objects.filter(user_id=user_id, status=Status.PENDING).order_by("created_at", "pk").first()
        if task is None or not connection.set(key, task.pk, nx=True, ex=SLOT_TTL):
            return False
    except RedisError as exc:
        logger.warning("Could not queue user %s's swap (queue unreachable: %s); it stays pending", user_id, exc)
        return False
    if not swap_enqueue(task_id=task.pk, user_id=user_id):
        with contextlib.suppress(RedisError):
            connection.delete(key)
        return False
    return True


def swap_job_finished(*, task_id: int, user_id: int | None) -> None:
    """A swap job ended (done, failed, deleted, killed): free its owner's slot and queue their next swap."""
    if user_id is None:
        return
    try:
        connection = SWAP_JOBS.connection()
        key = SLOT_KEY.format(user_id=user_id)
        if connection.get(key) in (str(task_id).encode(), str(task_id)):
            connection.delete(key)
    except RedisError as exc:
        logger.warning("Could not free user %s's queue slot: %s", user_id, exc)
        return
    swap_dispatch(user_id=user_id)


def swaps_dispatch_pending() -> int:
    """Queue every person's next pending swap that is not in the queue; how many were queued.

    Run by the worker every few seconds (swaps/worker.py), so swaps submitted while Redis was down start
    within a minute of it coming back. Idempotent: the conditional claim in swap_run runs a task once
    however often it was queued.
    """
    queued = 0
    for user_id in FaceSwapTask.objects.filter(status=Status.PENDING).values_list("user_id", flat=True).distinct():
        queued += swap_dispatch(user_id=user_id)
    if queued:
        logger.info("Queued %d pending swap(s)", queued)
    return queued


def swap_queue_reachable() -> bool:
    """Whether the swaps queue (Redis) answers now; a pending swap's page says so when it does not."""
    return SWAP_JOBS.reachable()
