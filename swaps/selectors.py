"""Reads for face-swap pages."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from gallery.models import Image, ImageType

from .models import RUNNABLE, Album, FaceSwapTask, HolderFace, PartnerConsent, ShareLink


def swaps_outside_albums(*, user) -> QuerySet[FaceSwapTask]:
    """The user's swaps that belong to no album (album swaps are shown grouped under their album)."""
    return swaps_for_user(user=user).filter(album__isnull=True)


def swaps_for_user(*, user) -> QuerySet[FaceSwapTask]:
    """The user's swaps, newest first, with what the list shows fetched in the same query."""
    return (
        FaceSwapTask.objects.filter(user=user, deleted_at__isnull=True)
        .select_related("template__image", "result_image", "husband_image", "wife_image", "consent")
        .order_by("-created_at", "-id")
    )


# The columns a picture's card reads (its thumbnail's address, size and privacy), nothing more: not the source
# photos of a swap, its faces or anything else a list never shows.
CARD_IMAGE_FIELDS = ("file", "metadata", "width", "height", "image_type", "owner")


def swaps_for_cards(*, user) -> QuerySet[FaceSwapTask]:
    """My swaps' cards (outside albums), newest first, in one query with only the columns the cards read."""
    return (
        swaps_outside_albums(user=user)
        .select_related(None)
        .select_related("template__image", "result_image", "consent")
        .only(
            "id",
            "user",
            "status",
            "progress",
            "created_at",
            "template__title",
            *(f"template__image__{name}" for name in CARD_IMAGE_FIELDS),
            *(f"result_image__{name}" for name in CARD_IMAGE_FIELDS),
            "consent__status",
        )
    )


def swap_counts(*, user) -> dict[str, int]:
    """How many of the user's swaps are outside albums (My swaps' pages) and in the trash, in one query."""
    return FaceSwapTask.objects.filter(user=user).aggregate(
        outside_albums=Count("id", filter=Q(deleted_at__isnull=True, album__isnull=True)),
        in_trash=Count("id", filter=Q(deleted_at__isnull=False)),
    )


def consents_for_my_swaps(*, user, days: int = 30) -> dict[str, list[PartnerConsent]]:
    """In one query, the agreements My swaps lists: `removed` (declined or withdrawn in the last `days` days,
    as consents_removed_recently), `received` (agreements_received) and `given` (agreements_given)."""
    Status = PartnerConsent.Status
    rows = (
        PartnerConsent.objects.filter(
            Q(user=user, status=Status.AGREED)
            | Q(partner_user=user, status=Status.AGREED)
            | Q(
                user=user,
                status__in=[Status.DECLINED, Status.WITHDRAWN],
                decided_at__gte=timezone.now() - timedelta(days=days),
            )
        )
        .select_related("user")
        .order_by("-decided_at", "-id")
    )
    found: dict[str, list[PartnerConsent]] = {"removed": [], "received": [], "given": []}
    for consent in rows:
        if consent.status != Status.AGREED:
            found["removed"].append(consent)
            continue
        if consent.user_id == user.pk:
            found["received"].append(consent)
        if consent.partner_user_id == user.pk:
            found["given"].append(consent)
    found["given"].sort(key=lambda consent: (consent.created_at, consent.pk), reverse=True)
    return found


def photos_for_user(*, user) -> QuerySet[Image]:
    """The user's own source photos ("My photos"), newest first."""
    return Image.objects.filter(owner=user, image_type=ImageType.SOURCE).order_by("-uploaded_at", "-id")


def swaps_in_trash(*, user) -> QuerySet[FaceSwapTask]:
    """The user's deleted swaps that can still be restored, most recently deleted first."""
    return (
        FaceSwapTask.objects.filter(user=user, deleted_at__isnull=False)
        .select_related("template__image", "result_image")
        .order_by("-deleted_at", "-id")
    )


def swaps_ahead(*, task: FaceSwapTask) -> int:
    """How many swaps (anyone's) wait in the queue before this pending one; 0 once it has started."""
    if task.status != FaceSwapTask.Status.PENDING or task.waiting_for_partner:
        return 0
    return FaceSwapTask.objects.filter(
        Q(created_at__lt=task.created_at) | Q(created_at=task.created_at, pk__lt=task.pk),
        RUNNABLE,
        status=FaceSwapTask.Status.PENDING,
    ).count()


def consents_removed_recently(*, user, days: int = 30) -> QuerySet[PartnerConsent]:
    """The holder's agreements a partner declined or withdrew in the last `days` days (their pages say so)."""
    return PartnerConsent.objects.filter(
        user=user,
        status__in=[PartnerConsent.Status.DECLINED, PartnerConsent.Status.WITHDRAWN],
        decided_at__gte=timezone.now() - timedelta(days=days),
    ).order_by("-decided_at")


def consent_for_removed_task(*, user, task_id: int) -> PartnerConsent | None:
    """The declined or withdrawn agreement whose removal deleted the holder's swap `task_id`, if any."""
    # A person has a handful of these; read in Python so it works on every database.
    for consent in consents_removed_recently(user=user, days=3650):
        if task_id in (consent.removed or {}).get("tasks", []):
            return consent
    return None


def photos_for_picker(*, user) -> QuerySet[Image]:
    """The user's photos a swap can use: those whose check found no usable face are left out."""
    return photos_for_user(user=user).filter(Q(metadata__face_check__isnull=True) | Q(metadata__face_check__ok=True))


def photos_in_waiting_swap() -> Exists:
    """Matches Image rows that a pending or processing swap uses (gallery keeps them: see SwapsConfig)."""
    waiting = FaceSwapTask.objects.filter(status__in=[FaceSwapTask.Status.PENDING, FaceSwapTask.Status.PROCESSING])
    return Exists(waiting.filter(Q(husband_image=OuterRef("pk")) | Q(wife_image=OuterRef("pk"))))


def account_swap_summary(user) -> dict:
    """The swaps' part of "My account": how many swaps the user has, and where its button leads (My swaps,
    or the gallery to pick a first template), so accounts links there without naming our URLs; when the
    face confirmed as "This is me" was confirmed, and where to forget it."""
    count = FaceSwapTask.objects.filter(user=user, deleted_at__isnull=True).count()
    confirmed = HolderFace.objects.filter(user=user).values_list("confirmed_at", flat=True).first()
    return {
        "swap_count": count,
        "swaps_url": reverse("swaps:list") if count else reverse("couple_templates:list"),
        "self_face_confirmed_at": confirmed,
        "self_face_forget_url": reverse("swaps:holder_face_forget"),
    }


def swaps_with_my_face(*, user) -> QuerySet[FaceSwapTask]:
    """The finished swaps a partner's own login may see: those made under agreements they gave."""
    return (
        FaceSwapTask.objects.filter(
            consent__partner_user=user,
            consent__status=PartnerConsent.Status.AGREED,
            status=FaceSwapTask.Status.COMPLETED,
            deleted_at__isnull=True,
            result_image__isnull=False,
        )
        .select_related("template", "result_image", "consent__user")
        .order_by("-created_at", "-id")
    )


def agreements_received(*, user) -> QuerySet[PartnerConsent]:
    """The agreements partners gave this holder, still in force (each of the couple can end one)."""
    return PartnerConsent.objects.filter(user=user, status=PartnerConsent.Status.AGREED).order_by("-decided_at")


def agreements_given(*, user) -> QuerySet[PartnerConsent]:
    """The agreements this login gave as someone's partner, still in force."""
    return PartnerConsent.objects.filter(partner_user=user, status=PartnerConsent.Status.AGREED).select_related("user")


def holder_face_confirmed(*, user) -> bool:
    """Whether the user confirmed a face as "This is me"."""
    return HolderFace.objects.filter(user=user).exists()


def share_link_live(*, token: str) -> ShareLink | None:
    """The share link with this token if it still works (not revoked, not expired, swap not deleted)."""
    return (
        ShareLink.objects.filter(
            token=token,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            task__deleted_at__isnull=True,
            task__result_image__isnull=False,
        )
        .select_related("task__result_image", "task__template")
        .first()
    )


def share_links_for_task(*, task: FaceSwapTask) -> QuerySet[ShareLink]:
    """A swap's links that still work, newest first (for its owner's page)."""
    return ShareLink.objects.filter(task=task, revoked_at__isnull=True, expires_at__gt=timezone.now())


def albums_for_user(*, user) -> QuerySet[Album]:
    return Album.objects.filter(user=user)


def albums_with_items(*, user) -> QuerySet[Album]:
    """The user's albums that still hold a swap, newest first, each with its swaps (trashed ones left out)
    fetched in order, for "My albums" and the album groups of My swaps."""
    items = (
        FaceSwapTask.objects.filter(deleted_at__isnull=True)
        .select_related("template__image", "result_image")
        .order_by("created_at", "id")
    )
    return (
        Album.objects.filter(user=user, tasks__deleted_at__isnull=True)
        .distinct()
        .prefetch_related(Prefetch("tasks", queryset=items))
    )


def album_items(*, album: Album) -> QuerySet[FaceSwapTask]:
    """An album's swaps (trashed ones left out), in the order the templates were picked."""
    return (
        album.tasks.filter(deleted_at__isnull=True)
        .select_related("template__image", "result_image", "consent")
        .order_by("created_at", "id")
    )
