"""A partner's photo for a swap: chosen or uploaded, its faces looked for once and kept with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from faceengine import ROLES, EngineError, Face, face_quality, load_image
from gallery.engine_words import engine_words
from gallery.models import PHOTO_TRIED_KEY, Image, ImageType
from gallery.selectors import image_find_duplicate
from gallery.services import (
    HeavyWorkBusy,
    decode_budget,
    heavy_work,
    image_clean,
    image_crop,
    image_phash_backfill,
    image_store,
    upload_digest,
)

from .base import SwapError, engine_get


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


def check_photo(*, user, image: Image | None, role: str) -> Image:
    if image is None or image.owner_id != user.pk or image.image_type != ImageType.SOURCE:
        raise SwapError(str(CHOOSE_PHOTO[role]))
    return image


def read_image(image: Image | None, what: str, *, keep_alpha: bool = False):

    return read_picture(image, what, keep_alpha=keep_alpha)[0]


def read_picture(image: Image | None, what: str, *, keep_alpha: bool = False) -> tuple[np.ndarray, bytes]:
    """A stored picture decoded, and its file's bytes (read once from storage: a swap signs its result
    with the template's bytes too)."""
    if image is None:
        raise SwapError(f"The {what} was deleted. Please choose it again and try once more.")
    with image.file.open("rb") as fp:
        data = fp.read()
    return load_image(data, what=what, keep_alpha=keep_alpha), data


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
# What to say when a role's photo is missing or not theirs.
CHOOSE_PHOTO = {
    "husband": gettext_lazy("Please choose your photo from your photos or upload one."),
    "wife": gettext_lazy("Please choose your partner's photo from your photos or upload one."),
}
CHOOSE_ROLE_PHOTO = {
    "husband": gettext_lazy("Choose your photo from your photos, or upload one."),
    "wife": gettext_lazy("Choose your partner's photo from your photos, or upload one."),
}


def _usable_faces(picture: np.ndarray) -> tuple[list[Face], str | None]:
    try:
        return engine_get().person_faces(picture), None
    except EngineError as exc:
        return [], exc.message


def _check_metadata(faces: list[Face], refusal: str | None) -> dict[str, Any]:
    return {
        FACES_KEY: [face.to_json() for face in faces],
        # turns_tried: the engine's search also looked at the photo turned each way (faceengine's
        # detect_sideways), so My photos does not offer to turn a photo it found no face on.
        CHECK_KEY: {"ok": refusal is None, "message": refusal or "", "turns_tried": True},
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
        return PhotoCheck(
            ok=False, message=engine_words(verdict.get("message")) or gettext("This photo has no face we can use.")
        )
    boxes = [face["box"] for face in faces]
    face_notes = [_face_note(face) for face in faces]
    if chosen is not None and not 0 <= chosen < len(faces):
        return PhotoCheck(ok=False, message=gettext("Please tap the face to use in this photo."), boxes=boxes)
    if len(faces) == 1 and partner_face is not None:
        # The one face is the other partner's: never "we found the face" to the second one.
        message = (
            gettext("This photo shows only one face, and it is already yours: choose a photo of your partner.")
            if role != ROLES[0]
            else gettext("This photo shows only one face, and it is already your partner's: choose a photo of you.")
        )
        return PhotoCheck(ok=False, message=message, boxes=boxes, face_notes=face_notes)
    if len(faces) == 1:
        message = gettext("We found the face in this photo.")
        notes = [gettext("This face is %(quality)s.") % {"quality": face_notes[0]}] if face_notes[0] else []
    else:
        message = gettext("This photo shows %(count)d faces: tap the one to use.") % {"count": len(faces)}
        notes = []
        if chosen is None and partner_face is not None:
            chosen = next(index for index in range(len(faces)) if index != partner_face)
            notes = [gettext("The face your partner did not take is chosen for now.")]
        elif chosen is None:
            notes = [gettext("The largest face is chosen for now.")]
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
        # Decoding and looking for faces in a large photo is heavy: bounded per person and per process.
        try:
            with heavy_work(owner_id=image.owner_id), decode_budget(pixels=(image.width or 0) * (image.height or 0)):
                try:
                    picture = read_image(image, "photo")
                except (EngineError, SwapError) as exc:
                    return PhotoCheck(ok=False, message=engine_words(exc.message))
                found = _check_metadata(*_usable_faces(picture))
                del picture
        except HeavyWorkBusy as exc:
            return PhotoCheck(ok=False, message=" ".join(exc.messages))
        with transaction.atomic():
            # Merged into the row as it is now, and only while it still holds the pixels checked: a turn
            # that finished meanwhile stored new files (and their keys in metadata), which must not be undone.
            current = Image.objects.select_for_update().filter(pk=image.pk).first()
            if current is not None and current.file.name == image.file.name:
                current.metadata = {**(current.metadata or {}), **found}
                current.save(update_fields=["metadata"])
                image.metadata = current.metadata
            else:
                image.metadata = {**(image.metadata or {}), **found}
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
            image = check_photo(user=user, image=person.image, role=role)
        except SwapError as exc:
            return None, PhotoCheck(ok=False, message=engine_words(exc.message))
        return image, swap_photo_check(image=image, face=person.face, role=role, partner=partner)
    try:
        # The same file sent again is known from its bytes, before any decoding.
        earlier = image_find_duplicate(owner=user, sha256=upload_digest(person.upload))
        if earlier is None:
            with heavy_work(owner_id=user.pk):
                return _store_checked(user=user, person=person, role=role, partner=partner)
    except ValidationError as exc:  # unreadable, too large, or the person's heavy-work slots taken
        return None, PhotoCheck(ok=False, message=" ".join(exc.messages))
    return earlier, swap_photo_check(image=earlier, face=person.face, role=role, partner=partner)


def _store_checked(
    *, user, person: PersonPhoto, role: str, partner: tuple[int, int | None] | None
) -> tuple[Image | None, PhotoCheck]:
    """A new upload decoded, its faces looked for, and stored only when one is usable."""
    clean = image_clean(file=person.upload)
    image_phash_backfill(owner=user)
    earlier = image_find_duplicate(owner=user, sha256=clean.sha256, phash=clean.phash, size=(clean.width, clean.height))
    if earlier is not None:
        return earlier, swap_photo_check(image=earlier, face=person.face, role=role, partner=partner)
    with decode_budget(pixels=clean.width * clean.height):
        try:
            picture = load_image(clean.data, what="photo")
        except EngineError as exc:
            return None, PhotoCheck(ok=False, message=engine_words(exc.message))
        faces, refusal = _usable_faces(picture)
        del picture
    if refusal is not None:
        return None, PhotoCheck(ok=False, message=engine_words(refusal))
    image = image_store(clean=clean, owner=user, image_type=ImageType.SOURCE)
    # "Tried": picked on the swap form; My photos shows it apart until a swap uses it (swap_create).
    image.metadata = {**image.metadata, **_check_metadata(faces, None), PHOTO_TRIED_KEY: True}
    image.save(update_fields=["metadata"])
    return image, swap_photo_check(image=image, face=person.face, role=role, partner=partner)


def stored_face(image: Image | None, index: int = 0) -> Face | None:
    """A usable face kept with a photo by its check (None when it was never checked)."""
    faces = (image.metadata or {}).get(FACES_KEY) if image is not None else None
    return Face.from_json(faces[index]) if faces and 0 <= index < len(faces) else None


def swap_photos_switch(*, user, people: dict[str, PersonPhoto]) -> tuple[dict[str, Image], dict[str, PhotoCheck]]:
    """ "Swap who is who" without JavaScript: each partner's photo prepared (an upload stored when a face
    is usable), then the two change sides. Returns (photo by role, check by role) after the switch."""
    other = dict(zip(ROLES, ROLES[::-1], strict=True))
    chosen: dict[str, Image] = {}
    checks: dict[str, PhotoCheck] = {}
    for role in ROLES:
        image, check = swap_photo_prepare(user=user, person=people[role], role=role)
        checks[other[role]] = check
        if image is not None:
            chosen[other[role]] = image
    return chosen, checks


def photo_face_crop(*, image: Image, index: int) -> bytes | None:
    """A small JPEG of the photo's `index`-th usable face (largest first), None when there is no such face."""
    faces = (image.metadata or {}).get(FACES_KEY) or []
    if not 0 <= index < len(faces):
        return None
    return image_crop(image, faces[index]["box"])
