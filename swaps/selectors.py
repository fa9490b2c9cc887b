"""Reads for face-swap pages."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from gallery.models import Image, ImageType

from .models import RUNNABLE, Album, FaceSwapTask, HolderFace, PartnerConsent, ShareLink


def swaps_for_user(*, user) -> QuerySet[FaceSwapTask]:
    """The user's swaps, newest first, with what the list shows fetched in the same query."""
    return (
        FaceSwapTask.objects.filter(user=user, deleted_at__isnull=True)
        .select_related("template__image", "result_image", "husband_image", "wife_image", "consent")
        .order_by("-created_at", "-id")
    )


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


# An agreement ended without the swap: declined, withdrawn, or an invitation that expired unanswered.
REMOVED_STATUSES = (PartnerConsent.Status.DECLINED, PartnerConsent.Status.WITHDRAWN, PartnerConsent.Status.EXPIRED)


def consents_removed_recently(*, user, days: int = 30) -> QuerySet[PartnerConsent]:
    """The holder's agreements a partner declined or withdrew, or invitations that expired unanswered, in
    the last `days` days (their pages say so)."""
    return PartnerConsent.objects.filter(
        user=user, status__in=REMOVED_STATUSES, decided_at__gte=timezone.now() - timedelta(days=days)
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
        **agreements_given_count(user),
    }


def shared_with(user) -> Q:
    """The couple's shared space, seen from the partner's own login: the holder's swaps made under an
    agreement this login gave and that is still in force (withdrawn or ended, they are gone anyway)."""
    return Q(consent__partner_user=user, consent__status=PartnerConsent.Status.AGREED)


def swaps_visible_to_user(*, user) -> QuerySet[FaceSwapTask]:
    """The swaps whose page, progress and result this login may see: its own, and as a partner who agreed,
    the couple's swaps made with its face (read only: every change stays with swaps_for_user)."""
    return (
        FaceSwapTask.objects.filter(Q(user=user) | shared_with(user), deleted_at__isnull=True)
        .select_related("template__image", "result_image", "husband_image", "wife_image", "consent__user")
        .order_by("-created_at", "-id")
    )


# What a picture's card shows of it: its address (key, thumbnail key, hash) and its size.
_CARD_IMAGE_FIELDS = ("file", "owner", "image_type", "metadata", "width", "height")
_CARD_PERSON_FIELDS = ("username", "first_name", "last_name")


def swaps_on_my_list(*, user, given: list[PartnerConsent]) -> QuerySet[FaceSwapTask]:
    """My swaps' grid, one list for each of a couple: the user's own swaps outside albums (album swaps are
    grouped under their album) and the couple's swaps shared with them as the partner (albums included:
    the album pages stay the holder's): those made under `given`, the agreements the user gave
    (agreements_given: exactly the agreements of shared_with), named by id so that the list needs no join
    to filter (and uses the index on user and date when the user gave none). Only what a card shows is read
    (the card's kept copy is keyed by exactly these fields: gallery.fragments); the people a card names
    come from my_swaps_people_attach."""
    return (
        FaceSwapTask.objects.filter(_on_my_list(user, given), deleted_at__isnull=True)
        .select_related("template__image", "result_image", "consent")
        .only(
            "user",
            "status",
            "created_at",
            "template__title",
            *(f"template__image__{name}" for name in _CARD_IMAGE_FIELDS),
            *(f"result_image__{name}" for name in _CARD_IMAGE_FIELDS),
            "consent__status",
            "consent__user",
            "consent__partner_user",
        )
        .order_by("-created_at", "-id")
    )


def _on_my_list(user, given: list[PartnerConsent]) -> Q:
    own = Q(user=user, album__isnull=True)
    return own | Q(consent__in=[consent.pk for consent in given]) if given else own


def my_swaps_counts(*, user, given: list[PartnerConsent]) -> dict[str, int]:
    """My swaps' numbers, in one query: the swaps its grid lists (swaps_on_my_list, with the same `given`),
    the user's swaps in albums (albums_with_items: read only when there are some) and those in the trash."""
    if not given:  # only the user's own swaps: the simplest query (most people)
        return FaceSwapTask.objects.filter(user=user).aggregate(
            listed=Count("pk", filter=Q(album__isnull=True, deleted_at__isnull=True)),
            in_albums=Count("album", filter=Q(deleted_at__isnull=True)),
            in_trash=Count("deleted_at"),
        )
    shared = Q(consent__in=[consent.pk for consent in given])
    return FaceSwapTask.objects.filter(Q(user=user) | shared).aggregate(
        listed=Count("pk", filter=Q(_on_my_list(user, given), deleted_at__isnull=True)),
        in_albums=Count("album", filter=Q(user=user, deleted_at__isnull=True)),
        in_trash=Count("deleted_at", filter=Q(user=user)),
    )


def results_shared_with(user) -> Q:
    """The result pictures of the couple's swaps shared with this login (gallery serves them to it: see
    SwapsConfig): results only, never the holder's photos or own scenes."""
    shared = FaceSwapTask.objects.filter(shared_with(user), deleted_at__isnull=True, result_image__isnull=False)
    return Q(pk__in=shared.values("result_image_id"))


def agreements_received(*, user) -> QuerySet[PartnerConsent]:
    """The agreements partners gave this holder, still in force (each of the couple can end one)."""
    return (
        PartnerConsent.objects.filter(user=user, status=PartnerConsent.Status.AGREED)
        .select_related("partner_user")
        .order_by("-decided_at")
    )


def agreements_given(*, user) -> QuerySet[PartnerConsent]:
    """The agreements this login gave as someone's partner, still in force."""
    return PartnerConsent.objects.filter(partner_user=user, status=PartnerConsent.Status.AGREED).select_related("user")


def my_swaps_consents(*, user, days: int = 30) -> dict[str, list[PartnerConsent]]:
    """What My swaps says about agreements: `removed_consents` (consents_removed_recently), `agreements_given`
    and `agreements_received` (as those selectors, in the same orders), from one plain query of the user's
    agreements either way (a person has a handful), sorted out here. The people they name come from
    my_swaps_people_attach."""
    agreed = PartnerConsent.Status.AGREED
    since = timezone.now() - timedelta(days=days)
    consents = list(PartnerConsent.objects.filter(Q(user=user) | Q(partner_user=user)).order_by())

    def newest_decided_first(consent: PartnerConsent) -> tuple:
        # As PostgreSQL orders "-decided_at": undecided first; then the newest.
        return (consent.decided_at is None, consent.decided_at or since, consent.created_at, consent.pk)

    mine = [c for c in consents if c.user_id == user.pk]
    return {
        "removed_consents": sorted(
            (c for c in mine if c.status in REMOVED_STATUSES and c.decided_at is not None and c.decided_at >= since),
            key=newest_decided_first,
            reverse=True,
        ),
        "agreements_given": sorted(
            (c for c in consents if c.partner_user_id == user.pk and c.status == agreed),
            key=lambda c: (c.created_at, c.pk),
            reverse=True,
        ),
        "agreements_received": sorted((c for c in mine if c.status == agreed), key=newest_decided_first, reverse=True),
    }


def my_swaps_people_attach(*, user, tasks: list[FaceSwapTask], consents: dict[str, list[PartnerConsent]]) -> None:
    """The people My swaps names, read in one query and only when it names someone: the holder of an
    agreement given (and of a swap shared with `user`: "Made by ...") and the partner of an agreement
    received, with their own login (and of `user`'s swap made under it: "Shared with ..."). Two more joins
    on every list query cost more than this query where it runs (PostgreSQL plans each join).

    Sets exactly the relations the page reads, no more: a card is kept keyed by what is loaded on its swap
    (gallery.fragments), and one that read a relation not set here would not be kept."""
    holders = [*consents["agreements_given"]]
    partners = [*consents["agreements_received"]]
    for task in tasks:
        if task.consent_id is not None:
            (holders if task.user_id != user.pk else partners).append(task.consent)
    ids = {consent.user_id for consent in holders} | {consent.partner_user_id for consent in partners}
    ids.discard(None)
    people = get_user_model().objects.only(*_CARD_PERSON_FIELDS).in_bulk(ids) if ids else {}
    for consent in holders:
        PartnerConsent.user.field.set_cached_value(consent, people.get(consent.user_id))
    for consent in partners:
        PartnerConsent.partner_user.field.set_cached_value(consent, people.get(consent.partner_user_id))


def agreements_given_count(user) -> dict:
    """The swaps' second part of "My account": how many agreements this login gave as a partner (deleting
    the account withdraws them, which its page says)."""
    return {"agreements_given_count": agreements_given(user=user).count()}


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
