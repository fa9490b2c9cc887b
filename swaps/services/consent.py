"""Partner consent: the partner's face is used only after the partner agreed, through a link, without an account.

A swap names two faces: the account holder's own ("you") and their partner's. `consent_for_partner` ties
every new swap to an agreement about the partner's face: one already given to this holder for the same
face (dlib descriptor within faceengine.identity.SAME_PERSON) is reused, so the partner is not asked
again; an invitation already waiting for the same photo and face is reused, so an album asks once;
otherwise a new invitation is made. The swap waits ("Waiting for your partner to agree") and nothing
runs until the partner agrees (`consent_agree`); then the holder's swaps are queued. Declined
(`consent_decline`) or later withdrawn (`consent_withdraw`): the partner's photo and every swap made with
the agreement, results included, are deleted, and the holder is told by e-mail and on their pages.

Tokens: secrets.token_urlsafe(24) (192 bits). The invitation's token is cleared once used and expires
after PARTNER_CONSENT_DAYS; the withdrawal token (given to the partner when they agree) works once.

An invitation nobody answered does not keep its swaps waiting forever: the maintenance pass
(`repair.consents_expire`, run by the swap worker's periodic repair and by `requeue_stuck_tasks`) ends those
swaps ("Your partner did not answer in time"), deletes the photo and the face's descriptor nobody agreed
to, and tells the holder, whose pages offer to invite again. A partner deleting their own login withdraws
every agreement they gave (`consents_withdraw_for_account`), as an explicit withdrawal does.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import user_language
from gallery.models import Image, ImageType
from gallery.services import image_delete

from ..models import FaceSwapTask, HolderFace, PartnerConsent
from ..provenance.signing import SITE_NAME
from .base import SWAP_JOBS, SwapError
from .fair_use import swap_dispatch
from .photos import read_image, stored_face

logger = logging.getLogger(__name__)

Status = PartnerConsent.Status


def holder_name(user) -> str:
    """The one thing about the holder the partner's page shows."""
    return user.get_full_name() or user.username


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _expiry():
    return timezone.now() + timedelta(days=settings.PARTNER_CONSENT_DAYS)


# A face's descriptor takes dlib 50-300 ms (the latter on a loaded machine): kept a day per photo and face,
# so the same photo on the next swap (or an album's next template) does not pay again.
DESCRIPTOR_KEY = "faceswap:descriptor:{image}:{index}:{size}"
DESCRIPTOR_TTL = 24 * 3600


def partner_descriptor(*, image: Image, face_index: int) -> list[float]:
    """The dlib descriptor of the photo's face number `face_index` (as its check kept it); [] without one."""
    from django.core.cache import cache

    from faceengine.identity import face_descriptor

    face = stored_face(image, face_index)
    if face is None:
        return []
    key = DESCRIPTOR_KEY.format(image=image.pk, index=face_index, size=image.file_size or 0)
    descriptor = cache.get(key)
    if descriptor is None:
        descriptor = [round(float(v), 6) for v in face_descriptor(read_image(image, "photo"), face)]
        cache.set(key, descriptor, DESCRIPTOR_TTL)
    return descriptor


def descriptors_warm(*, image: Image, faces: list[int]) -> None:
    """Describe the faces chosen in the swap form while the person is still choosing (the form's photo
    check), so the submit finds their descriptors kept instead of paying dlib then (`make bench`, consent
    section). Nothing when PARTNER_CONSENT_REQUIRED is off."""
    if not settings.PARTNER_CONSENT_REQUIRED:
        return
    for face_index in dict.fromkeys(faces):
        partner_descriptor(image=image, face_index=face_index)


def holder_face_check(*, user, image: Image, face_index: int = 0, this_is_me: bool = False) -> None:
    """The face a holder chose as theirs ("you") must be their own: confirmed once ("This is me", kept as a
    descriptor), then every later swap's "you" face is compared with it. SwapError (for the "you" field)
    when it is not confirmed yet and `this_is_me` is not ticked, or when it is someone else's face.
    Nothing is asked when PARTNER_CONSENT_REQUIRED is off."""
    if not settings.PARTNER_CONSENT_REQUIRED:
        return
    from faceengine.identity import same_person

    descriptor = partner_descriptor(image=image, face_index=face_index)
    if not descriptor:
        return  # a face the check could not describe: the photo's own check refuses it
    confirmed = HolderFace.objects.filter(user=user).first()
    if confirmed is not None:
        if not same_person(confirmed.descriptor, descriptor):
            raise SwapError(
                _(
                    "This is not the face you confirmed as yours. Choose a photo of yourself; someone else's face "
                    "needs their own agreement (or forget your confirmed face in My account)."
                )
            )
        return
    if not this_is_me:
        raise SwapError(_("Tick “This is me” to confirm that the face you chose as yours is your own (asked once)."))
    HolderFace.objects.update_or_create(user=user, defaults={"descriptor": descriptor, "confirmed_at": timezone.now()})


def holder_face_forget(*, user) -> None:
    """Forget the holder's confirmed face; their next swap asks "This is me" again."""
    HolderFace.objects.filter(user=user).delete()


def consent_for_partner(*, user, image: Image, face_index: int = 0) -> PartnerConsent | None:
    """The agreement a new swap with this partner photo and face waits for (None when
    PARTNER_CONSENT_REQUIRED is off): an agreement already given for the same face, an invitation already
    waiting for it, or a new invitation."""
    if not settings.PARTNER_CONSENT_REQUIRED:
        return None
    from faceengine.identity import same_person

    mine = PartnerConsent.objects.filter(user=user)
    same_photo = mine.filter(photo=image, face_index=face_index, status__in=[Status.AGREED, Status.WAITING])
    known = same_photo.order_by("status", "-created_at").first()  # "agreed" sorts before "waiting"
    if known is not None:
        return known
    descriptor = partner_descriptor(image=image, face_index=face_index)
    if descriptor:
        for consent in mine.filter(status__in=[Status.AGREED, Status.WAITING]).order_by("status", "-created_at"):
            if consent.descriptor and same_person(consent.descriptor, descriptor):
                return consent
    face = stored_face(image, face_index)
    return PartnerConsent.objects.create(
        user=user,
        photo=image,
        face_index=face_index,
        face_box=[round(float(v), 1) for v in face.box] if face is not None else [],
        descriptor=descriptor,
        token=_new_token(),
        expires_at=_expiry(),
    )


def consent_open(*, token: str) -> PartnerConsent | None:
    """The invitation with this token while it can be answered (waiting, unused, not expired)."""
    if not token:
        return None
    return (
        PartnerConsent.objects.filter(token=token, status=Status.WAITING, expires_at__gt=timezone.now())
        .select_related("user", "photo")
        .first()
    )


def consent_agree(*, consent: PartnerConsent) -> str | None:
    """The partner agrees: the invitation's token is used up, the holder's waiting swaps are queued.
    Returns the partner's withdrawal token, or None when the invitation was no longer open."""
    withdraw_token = _new_token()
    agreed = PartnerConsent.objects.filter(
        pk=consent.pk, token=consent.token, status=Status.WAITING, expires_at__gt=timezone.now()
    ).update(status=Status.AGREED, token=None, withdraw_token=withdraw_token, decided_at=timezone.now())
    if not agreed:
        return None
    transaction.on_commit(lambda: swap_dispatch(user_id=consent.user_id))
    return withdraw_token


def consent_decline(*, consent: PartnerConsent) -> bool:
    """The partner declines: nothing runs; the photo and the swaps waiting for it are deleted, the holder
    is told. False when the invitation was no longer open."""
    declined = PartnerConsent.objects.filter(
        pk=consent.pk, token=consent.token, status=Status.WAITING, expires_at__gt=timezone.now()
    ).update(status=Status.DECLINED, token=None, decided_at=timezone.now())
    if not declined:
        return False
    _remove_partner(PartnerConsent.objects.get(pk=consent.pk))
    return True


def consent_withdrawable(*, token: str) -> PartnerConsent | None:
    """The agreement this withdrawal token may withdraw (agreed, token unused)."""
    if not token:
        return None
    return PartnerConsent.objects.filter(withdraw_token=token, status=Status.AGREED).select_related("user").first()


def consent_withdraw(*, consent: PartnerConsent) -> bool:
    """The partner withdraws their agreement: the photo and every swap made with it (results, files)
    are deleted, the holder is told. False when it was already withdrawn."""
    withdrawn = PartnerConsent.objects.filter(
        pk=consent.pk, withdraw_token=consent.withdraw_token, status=Status.AGREED
    ).update(status=Status.WITHDRAWN, withdraw_token=None, decided_at=timezone.now())
    if not withdrawn:
        return False
    _remove_partner(PartnerConsent.objects.get(pk=consent.pk))
    return True


def consent_partner_login(*, consent: PartnerConsent, username: str, email: str, password: str):
    """The partner, having agreed, makes their own login linked to the holder: a couple's two logins.
    Returns the new user; None when the agreement is no longer in force or already has a login."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        locked = PartnerConsent.objects.select_for_update().filter(
            pk=consent.pk, status=Status.AGREED, partner_user__isnull=True
        )
        if not locked.exists():
            return None
        user = get_user_model().objects.create_user(username=username, email=email, password=password)
        locked.update(partner_user=user)
    return user


def consent_end(*, consent: PartnerConsent) -> bool:
    """The holder ends an agreement their partner gave (a couple: each can withdraw): as a withdrawal, the
    partner's photo and every swap made with it are deleted. False when it was no longer in force."""
    ended = PartnerConsent.objects.filter(pk=consent.pk, user=consent.user, status=Status.AGREED).update(
        status=Status.WITHDRAWN, withdraw_token=None, decided_at=timezone.now()
    )
    if not ended:
        return False
    _remove_partner(PartnerConsent.objects.get(pk=consent.pk), by="holder")
    return True


def consent_renew(*, consent: PartnerConsent) -> PartnerConsent:
    """A fresh invitation link (the old one stops working), valid for PARTNER_CONSENT_DAYS again."""
    PartnerConsent.objects.filter(pk=consent.pk, status=Status.WAITING).update(token=_new_token(), expires_at=_expiry())
    consent.refresh_from_db()
    return consent


def consent_invite_send(*, consent: PartnerConsent, email: str, url: str) -> None:
    """Send the invitation link to the partner's e-mail address (nothing else of theirs is kept)."""
    name = holder_name(consent.user)
    body = "\n".join(
        [
            _("Hello,"),
            "",
            _("%(name)s would like to put your face into couple pictures on %(site)s.")
            % {"name": name, "site": SITE_NAME},
            _("Nothing is made until you agree. Open this link to see the photo and to agree or decline:"),
            url,
            "",
            _("The link works once, until %(date)s.") % {"date": f"{timezone.localtime(consent.expires_at):%Y-%m-%d}"},
        ]
    )
    send_mail(
        _("%(name)s asks for your agreement") % {"name": name},
        body,
        settings.DEFAULT_FROM_EMAIL,
        [email],
        fail_silently=False,
    )


def consents_withdraw_for_account(*, user) -> int:
    """The partner deletes their own login: every agreement they gave in it is withdrawn, as if they had
    withdrawn it (the photo and every swap made with it deleted, the holder told). Runs inside the
    account's deletion (accounts.services.user_delete, through the hook SwapsConfig registers), so it all
    commits or rolls back with the account. Returns how many agreements were withdrawn."""
    count = 0
    for consent in PartnerConsent.objects.filter(partner_user=user, status=Status.AGREED):
        withdrawn = PartnerConsent.objects.filter(pk=consent.pk, status=Status.AGREED).update(
            status=Status.WITHDRAWN, withdraw_token=None, decided_at=timezone.now()
        )
        if withdrawn:
            _remove_partner(PartnerConsent.objects.get(pk=consent.pk), by="account")
            count += 1
    return count


def _remove_partner(consent: PartnerConsent, *, by: str = "partner") -> None:
    """Delete the partner's photo(s) and every swap made with this agreement (rows and files), even one
    being made (its worker notices the row is gone); record what went and who asked ("partner", "holder",
    "account": the partner deleted their login), and tell the holder unless they asked themselves. The
    queue's jobs and the e-mail go once the deletion has committed."""
    tasks = list(FaceSwapTask.objects.filter(consent=consent).select_related("result_image", "wife_image"))
    task_ids = [task.pk for task in tasks]
    photos = {consent.photo} | {task.wife_image for task in tasks}
    photos = {p for p in photos if p is not None and p.owner_id == consent.user_id and p.image_type == ImageType.SOURCE}
    pictures = 0
    with transaction.atomic():
        for task in tasks:
            result = task.result_image
            task.delete()
            if result is not None:
                image_delete(image=result)
                pictures += 1
        for photo in photos:
            image_delete(image=photo)
        PartnerConsent.objects.filter(pk=consent.pk).update(
            photo=None,
            descriptor=[],
            face_box=[],
            removed={"tasks": task_ids, "pictures": pictures, "by": by},
        )
    for task_id in task_ids:
        transaction.on_commit(lambda task_id=task_id: SWAP_JOBS.job_delete(task_id))
    if by != "holder":
        transaction.on_commit(lambda: tell_holder(consent, pictures=pictures, by=by))


def tell_holder(consent: PartnerConsent, *, pictures: int, by: str) -> None:
    """E-mail the holder what became of their partner's agreement (declined, withdrawn, ended with the
    partner's login, or expired unanswered), in the holder's own language."""
    user = consent.user
    if not user.email:
        return
    # Written in the holder's language, not the partner's (whose answer sends it).
    with translation.override(user_language(user)):
        if consent.status == Status.DECLINED:
            subject = _("Your partner declined")
            first = _("Your partner declined to have their face used. Nothing was made with it.")
        elif consent.status == Status.EXPIRED:
            subject = _("Your partner did not answer in time")
            first = _(
                "Your partner did not answer your invitation before the link expired, so nothing was made with "
                "their face and their photo was deleted. You can invite them again from My swaps."
            )
        elif by == "account":
            subject = _("Your partner withdrew their agreement")
            first = _("Your partner deleted their login, which withdraws their agreement to have their face used.")
        else:
            subject = _("Your partner withdrew their agreement")
            first = _("Your partner withdrew their agreement to have their face used.")
        body = "\n".join(
            [
                _("Hello %(name)s,") % {"name": user.username},
                "",
                first,
            ]
        )
        if consent.status != Status.EXPIRED:
            body += "\n" + _("Their photo and %(count)d picture(s) with their face were deleted.") % {"count": pictures}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
