"""Swap pages: the swap form, a task's live progress and result, My swaps. Owner only (404 otherwise)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from faceengine import ROLES
from gallery.fragments import cards_render
from gallery.models import Image
from gallery.services import at_low_priority, image_open
from templates import selectors as template_selectors
from templates.models import Template

from . import provenance, push, selectors, services
from .forms import AlbumForm, PartnerEmailForm, SwapForm
from .models import Album, FaceSwapTask, PartnerConsent

# Remembers the photos of a finished swap for "Try these photos on another template".
SESSION_PHOTOS = "swap_photos"
# The swap just moved to the trash, for the "Undo" on My swaps.
SESSION_UNDO = "swap_undo"
# How many of the person's latest photos the form offers to pick from.
PICKER_PHOTOS = 24
# Albums shown as groups at the top of My swaps (the rest are in My albums).
ALBUMS_ON_MY_SWAPS = 4


def _get_task_for_user(request: HttpRequest, pk: int) -> FaceSwapTask:
    return get_object_or_404(selectors.swaps_for_user(user=request.user), pk=pk)


def _get_task_for_viewer(request: HttpRequest, pk: int) -> FaceSwapTask:
    """A swap this login may look at: its own, or as the partner who agreed, the couple's (read only)."""
    return get_object_or_404(selectors.swaps_visible_to_user(user=request.user), pk=pk)


def _get_photo_for_user(request: HttpRequest, pk) -> Image:
    return get_object_or_404(selectors.photos_for_user(user=request.user), pk=pk)


def _template_rings(template: Template) -> list[dict]:
    """The template's two faces as ellipses around their boxes (picture pixels), you first, then your partner."""
    rings = []
    for role in ROLES:
        entry = next((face for face in template.face_positions or [] if face.get("role") == role), None)
        if entry is None:
            continue
        x1, y1, x2, y2 = entry["box"]
        # A little larger than the box, so the ring goes round the face instead of across it.
        rings.append(
            {"role": role, "cx": (x1 + x2) / 2, "cy": (y1 + y2) / 2, "rx": 0.62 * (x2 - x1), "ry": 0.7 * (y2 - y1)}
        )
    return rings


def _face_options(image: Image | None, check: services.PhotoCheck | None) -> list[dict]:
    if image is None or check is None or not check.boxes:
        return []
    notes = check.face_notes or [""] * len(check.boxes)
    return [
        {
            "index": index,
            "url": reverse("swaps:photo_face", args=[image.pk, index]),
            "chosen": index == check.chosen,
            "note": notes[index],
        }
        for index in range(len(check.boxes))
    ]


def _picker_photos(photos) -> list[dict]:
    """The latest PICKER_PHOTOS photos as both pickers show them: each photo's address, name and date
    worked out once, not once per picker."""
    return [
        {
            "pk": photo.pk,
            "value": str(photo.pk),
            "filename": photo.filename,
            "thumbnail_url": photo.get_thumbnail_url(),
            "uploaded_at": photo.uploaded_at,
        }
        for photo in photos.only("owner", "filename", "file", "image_type", "uploaded_at", "metadata")[:PICKER_PHOTOS]
    ]


def _people_blocks(
    request: HttpRequest,
    form,
    chosen: dict[str, Image],
    checks: dict,
    errors: dict[str, list[str]],
    photos: list[dict],
) -> list[dict]:
    """What the form shows for you and for your partner: photo picker (`photos`: _picker_photos), upload,
    face crops, messages."""
    selected = {role: str(chosen[role].pk) if role in chosen else "" for role in ROLES}
    # The two pickers differ only by their field's name and the photo chosen: each kept as a card.
    pickers = cards_render(
        request,
        "swaps/includes/photo_picker.html",
        [{"name": form[f"{role}_photo"].html_name, "selected": selected[role]} for role in ROLES],
        shared={"photos": photos},
    )
    return [
        {
            "role": role,
            "title": gettext("You") if role == ROLES[0] else gettext("Your partner"),
            "photo_field": form[f"{role}_photo"],
            "upload_field": form[f"{role}_upload"],
            "selected": selected[role],
            "picker": picker,
            "check": checks.get(role),
            "faces": _face_options(chosen.get(role), checks.get(role)),
            "errors": [
                *errors.get(role, []),
                *errors.get(f"{role}_photo", []),
                *errors.get(f"{role}_upload", []),
                *errors.get(f"{role}_face", []),
            ],
        }
        for role, picker in zip(ROLES, pickers, strict=True)
    ]


@login_required
def swap_new(request: HttpRequest, template_pk: int) -> HttpResponse:
    template = get_object_or_404(Template.objects.select_related("image"), pk=template_pk)
    if not template.usable_by(request.user):
        raise Http404("No such template.")
    photos = selectors.photos_for_picker(user=request.user)
    errors: dict[str, list[str]] = {}
    checks: dict[str, services.PhotoCheck] = {}
    chosen: dict[str, Image] = {}
    if request.method == "POST":
        form = SwapForm(request.POST, request.FILES, photos=photos)
        if form.is_valid() and "switch" in request.POST:
            # Without JavaScript: "Swap who is who" sends the form; the two choices change sides.
            chosen, checks = services.swap_photos_switch(
                user=request.user, people={role: form.person(role) for role in ROLES}
            )
        elif form.is_valid():
            try:
                # Without JavaScript the photos are checked and their faces described here: heavy work, below
                # the pages' priority (with it, the form's photo check did that already).
                task = at_low_priority(
                    services.swap_submit,
                    user=request.user,
                    template=template,
                    husband=form.person("husband"),
                    wife=form.person("wife"),
                    this_is_me=form.cleaned_data["this_is_me"],
                )
            except services.SwapSubmitError as exc:
                errors, checks = exc.message_dict, exc.checks
                # Good photos of this attempt are in My photos now and stay chosen; a refused one is not
                # kept, and its reason shows in place of the earlier choice.
                chosen = {role: image for role, image in exc.photos.items() if checks[role].boxes}
            else:
                request.session.pop(SESSION_PHOTOS, None)
                return redirect("swaps:detail", pk=task.pk)
        else:
            errors = form.errors
    else:
        # Photos carried over by "Try these photos on another template", with the faces picked then.
        remembered = request.session.get(SESSION_PHOTOS, {})
        for role in ROLES:
            entry = remembered.get(role) or {}
            if not isinstance(entry, dict):  # remembered before faces were kept: a photo id
                entry = {"image": entry}
            image = photos.filter(pk=entry["image"]).first() if entry.get("image") else None
            if image is not None:
                chosen[role] = image
                checks[role] = services.swap_photo_check(image=image, face=entry.get("face"))
    form = SwapForm(
        photos=photos,
        initial={
            **{f"{role}_photo": image.pk for role, image in chosen.items()},
            **{f"{role}_face": checks[role].chosen for role in chosen if role in checks},
        },
    )
    picker_photos = _picker_photos(photos)
    context = {
        "template": template,
        "rings": _template_rings(template),
        "show_switch": True,
        "form": form,
        "photos": picker_photos,
        "blocks": _people_blocks(request, form, chosen, checks, errors, picker_photos),
        "non_field_errors": errors.get(NON_FIELD_ERRORS, []),
    }
    context["partner_consent"] = settings.PARTNER_CONSENT_REQUIRED
    context["ask_this_is_me"] = settings.PARTNER_CONSENT_REQUIRED and not selectors.holder_face_confirmed(
        user=request.user
    )
    return render(request, "swaps/swap_form.html", context)


def _check_and_describe(*, user, person, role: str, partner) -> tuple[Image | None, services.PhotoCheck]:
    image, check = services.swap_photo_prepare(user=user, person=person, role=role, partner=partner)
    if image is not None and check.ok:
        # The chosen face (and on a photo of two, the other one: the form offers it to the other role),
        # described now rather than on "Swap our faces in".
        faces = [check.chosen, 1 - check.chosen] if len(check.boxes) == 2 else [check.chosen]
        services.descriptors_warm(image=image, faces=faces)
    return image, check


@login_required
@require_POST
def photo_check(request: HttpRequest) -> JsonResponse:
    """Check one photo as soon as it is chosen (a new file is stored only if it has a usable face)."""
    role = request.POST.get("role")
    if role not in ROLES:
        return JsonResponse({"ok": False, "message": gettext("Unknown role.")}, status=400)
    upload = request.FILES.get("file")
    face = request.POST.get("face")
    face_index = int(face) if face and face.isdigit() else None
    if upload is not None:
        person = services.PersonPhoto(upload=upload)
    else:
        image_id = request.POST.get("image", "")
        if not image_id.isascii() or not image_id.isdigit():
            return JsonResponse({"ok": False, "message": gettext("Please choose one of your photos.")}, status=400)
        person = services.PersonPhoto(image=_get_photo_for_user(request, int(image_id)), face=face_index)
    # The other partner's choice, so a photo of one face already theirs is not offered twice.
    partner_image, partner_face = request.POST.get("partner_image", ""), request.POST.get("partner_face", "")
    partner = None
    if partner_image.isascii() and partner_image.isdigit():
        partner = (int(partner_image), int(partner_face) if partner_face.isascii() and partner_face.isdigit() else 0)
    # Looking for faces and describing them is heavy: below the pages' priority, as uploads are.
    image, check = at_low_priority(_check_and_describe, user=request.user, person=person, role=role, partner=partner)
    return JsonResponse(
        {
            "ok": check.ok,
            "message": check.message,
            "notes": check.notes,
            "image": None
            if image is None
            else {
                "id": image.pk,
                "thumbnail_url": image.get_thumbnail_url(),
                "filename": image.filename,
                # As the picker writes it beside each photo.
                "uploaded": date_format(localtime(image.uploaded_at), "SHORT_DATE_FORMAT"),
            },
            "faces": _face_options(image, check),
            "chosen": check.chosen,
        }
    )


@login_required
def photo_face(request: HttpRequest, pk: int, index: int = 0) -> HttpResponse:
    """A small crop of one usable face of this photo (private, like the photo)."""
    image = _get_photo_for_user(request, pk)
    crop = services.photo_face_crop(image=image, index=index)
    if crop is None:
        raise Http404("No such face has been found on this photo.")
    response = HttpResponse(crop, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def swap_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        task = _get_task_for_viewer(request, pk)
    except Http404:
        # Deleted because the partner declined or withdrew: My swaps says so.
        if selectors.consent_for_removed_task(user=request.user, task_id=pk) is not None:
            return redirect("swaps:list")
        raise
    if task.user_id != request.user.pk:
        # The partner's view of the couple's swap: the picture, its download and details, and withdrawing;
        # nothing of the holder's beyond their display name (no photos, links, albums or own scenes).
        context = {
            "task": task,
            "shared": True,
            "holder": services.holder_name(task.user),
            "template_public": task.template is not None
            and task.template.image is not None
            and not task.template.image.is_private,
        }
        return render(request, "swaps/task_detail.html", context)
    context = {
        "task": task,
        "ahead": selectors.swaps_ahead(task=task),
        "share_links": selectors.share_links_for_task(task=task),
        "share_new": request.session.pop("share_new", None),
        "share_days": services.SHARE_DAYS,
        # Redis down: say the swap is kept and will start by itself (swaps_dispatch_pending), not just "waiting".
        "queue_down": task.status == FaceSwapTask.Status.PENDING and not services.swap_queue_reachable(),
        "template_public": True,
    }
    if task.consent_id and task.consent.partner_user_id:
        context["partner"] = services.holder_name(task.consent.partner_user)
    return render(request, "swaps/task_detail.html", context)


def _get_consent_for_user(request: HttpRequest, pk: int) -> PartnerConsent:
    return get_object_or_404(PartnerConsent.objects.filter(user=request.user), pk=pk)


@login_required
@require_POST
def consent_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """A new invitation link for the partner (the old one stops working)."""
    consent = _get_consent_for_user(request, pk)
    if consent.status != PartnerConsent.Status.WAITING:
        raise Http404
    services.consent_renew(consent=consent)
    messages.success(request, gettext("Here is a new link for your partner; the old one no longer works."))
    return _back(request)


@login_required
@require_POST
def consent_email(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the invitation link to the partner's e-mail address (the address is not kept)."""
    consent = _get_consent_for_user(request, pk)
    if not consent.is_open:
        raise Http404
    form = PartnerEmailForm(request.POST)
    if form.is_valid():
        url = request.build_absolute_uri(consent.get_absolute_url())
        services.consent_invite_send(consent=consent, email=form.cleaned_data["email"], url=url)
        messages.success(request, gettext("We sent your partner the link."))
    else:
        messages.error(request, gettext("Please enter your partner's e-mail address."))
    return _back(request)


@login_required
@require_POST
def holder_face_forget(request: HttpRequest) -> HttpResponse:
    """Forget the face confirmed as "This is me"; the next swap asks again."""
    services.holder_face_forget(user=request.user)
    messages.success(request, gettext("Your confirmed face is forgotten; your next swap asks again."))
    return redirect("accounts:profile")


@login_required
@require_POST
def consent_invite_again(request: HttpRequest, pk: int) -> HttpResponse:
    """A swap (or an album) whose partner did not answer in time: back to the form with the same scene(s)
    and the holder's own photo still chosen; the partner's photo is chosen again and the swap makes a new
    invitation (the old photo was deleted with the unanswered one)."""
    task = _get_task_for_user(request, pk)
    if not task.partner_did_not_answer:
        raise Http404
    if task.husband_image_id and selectors.photos_for_user(user=request.user).filter(pk=task.husband_image_id):
        index = (task.source_faces or {}).get("husband", {}).get("index")
        request.session[SESSION_PHOTOS] = {"husband": {"image": task.husband_image_id, "face": index}}
    messages.info(request, gettext("Choose your partner's photo again: the swap makes a new invitation link for them."))
    if task.album_id:
        ended = selectors.album_items(album=task.album).filter(consent=task.consent, template__isnull=False)
        query = "&".join(f"t={template_id}" for template_id in ended.values_list("template_id", flat=True))
        return redirect(f"{reverse('swaps:album_new')}?{query}")
    if task.template is None or not task.template.usable_by(request.user):
        return redirect("couple_templates:list")
    return redirect("swaps:new", template_pk=task.template_id)


@login_required
@require_POST
def agreement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The partner withdraws from their own login: the photo and every picture with their face go."""
    consent = get_object_or_404(selectors.agreements_given(user=request.user), pk=pk)
    services.consent_withdraw(consent=consent)
    messages.success(
        request, gettext("Your agreement is withdrawn: the photo and every picture with your face were deleted.")
    )
    return redirect("swaps:list")


@login_required
@require_POST
def agreement_end(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder ends their partner's agreement: the partner's photo and the pictures with their face go."""
    consent = get_object_or_404(selectors.agreements_received(user=request.user), pk=pk)
    services.consent_end(consent=consent)
    messages.success(
        request, gettext("The agreement is ended: your partner's photo and every picture with their face were deleted.")
    )
    return redirect("swaps:list")


def _back(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        # A URL, never a view name: redirect() would try to reverse a `next` without "/" or "." (a 500).
        return HttpResponseRedirect(back)
    return redirect("swaps:list")


@never_cache
@login_required
def swap_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The small JSON the task page reads where the push path is not there (one indexed row, plus a count
    while the swap waits in the queue); the same state the push path sends (swaps/push.py)."""
    task = get_object_or_404(
        selectors.swaps_visible_to_user(user=request.user)
        .select_related(None)
        .select_related("consent")
        .only("status", "progress", "error_message", "user_id", "created_at", "consent__status"),
        pk=pk,
    )
    return JsonResponse(push.task_status(task, ahead=selectors.swaps_ahead(task=task)))


@login_required
@require_POST
def swap_retry(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task_for_user(request, pk)
    try:
        services.swap_retry(task=task)
    except services.SwapError as exc:
        messages.error(request, exc.message)
    # From an album tile: back to the album.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(back)  # a URL, never a view name (see _back)
    return redirect("swaps:detail", pk=task.pk)


@login_required
@require_http_methods(["GET", "POST"])
def swap_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first; then move the swap to the trash, with "Undo" on the next page."""
    task = _get_task_for_user(request, pk)
    if request.method == "GET":
        return render(request, "swaps/task_confirm_delete.html", {"task": task, "trash_days": services.TRASH_DAYS})
    try:
        services.swap_trash(task=task)
    except services.SwapError as exc:
        messages.error(request, exc.message)
        return redirect("swaps:detail", pk=task.pk)
    request.session[SESSION_UNDO] = task.pk
    return redirect("swaps:list")


@login_required
@require_POST
def swap_restore(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(selectors.swaps_in_trash(user=request.user), pk=pk)
    services.swap_restore(task=task)
    messages.success(request, gettext("The swap is back in My swaps."))
    return redirect("swaps:detail", pk=task.pk)


@login_required
@require_http_methods(["GET", "POST"])
def swap_delete_forever(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (there is no undo); then delete the swap and its result."""
    task = get_object_or_404(selectors.swaps_in_trash(user=request.user), pk=pk)
    if request.method == "GET":
        return render(request, "swaps/trash_confirm.html", {"task": task, "count": 1})
    services.swap_delete(task=task)
    messages.success(request, gettext("The swap and its result were deleted for good."))
    return redirect("swaps:trash")


@login_required
@require_http_methods(["GET", "POST"])
def swap_trash_empty(request: HttpRequest) -> HttpResponse:
    """Ask once, with the count; then delete every swap in the trash for good."""
    if request.method == "GET":
        count = selectors.swaps_in_trash(user=request.user).count()
        if not count:
            return redirect("swaps:trash")
        return render(request, "swaps/trash_confirm.html", {"task": None, "count": count})
    count = services.swap_trash_empty(user=request.user)
    messages.success(
        request,
        ngettext("%(count)d swap was deleted for good.", "%(count)d swaps were deleted for good.", count)
        % {"count": count},
    )
    return redirect("swaps:trash")


@login_required
def swap_trash_list(request: HttpRequest) -> HttpResponse:
    tasks = selectors.swaps_in_trash(user=request.user)
    return render(request, "swaps/task_trash.html", {"tasks": tasks, "trash_days": services.TRASH_DAYS})


@login_required
@require_POST
def swap_reuse_photos(request: HttpRequest, pk: int) -> HttpResponse:
    """Remember this swap's photos for the next template the person picks, then show the gallery."""
    task = _get_task_for_user(request, pk)
    request.session[SESSION_PHOTOS] = {
        role: {"image": getattr(task, f"{role}_image_id"), "face": (task.source_faces or {}).get(role, {}).get("index")}
        for role in ROLES
    }
    messages.info(request, gettext("Your two photos are ready: pick another template and press “Use this template”."))
    return redirect("couple_templates:list")


@login_required
def swap_list(request: HttpRequest) -> HttpResponse:
    # One grid for each of a couple: my own swaps, and as the partner who agreed, the couple's made with my face.
    consents = selectors.my_swaps_consents(user=request.user)
    given = consents["agreements_given"]
    counts = selectors.my_swaps_counts(user=request.user, given=given)
    paginator = Paginator(selectors.swaps_on_my_list(user=request.user, given=given), 12)
    paginator.count = counts["listed"]  # read with the albums' and the trash's, in one query
    page = paginator.get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    selectors.my_swaps_people_attach(user=request.user, tasks=tasks, consents=consents)
    # The swap just deleted, offered back once ("Undo").
    undo_pk = request.session.pop(SESSION_UNDO, None)
    undo = selectors.swaps_in_trash(user=request.user).filter(pk=undo_pk).first() if undo_pk else None
    # Album swaps are grouped under their album, on the first page, the newest albums first.
    albums = []
    if page.number == 1 and counts["in_albums"]:
        albums = selectors.albums_with_items(user=request.user)[:ALBUMS_ON_MY_SWAPS]
    context = {
        "page": page,
        "cards": cards_render(request, "swaps/includes/swap_card.html", [{"task": task} for task in tasks]),
        "undo": undo,
        "in_trash": bool(counts["in_trash"]),
        "albums": albums,
        # Agreements a partner ended; as a partner's own login, the agreements it gave (its couple's swaps
        # are in the grid); the agreements received.
        **consents,
    }
    return render(request, "swaps/task_list.html", context)


@login_required
def album_list(request: HttpRequest) -> HttpResponse:
    """My albums: every album that still holds a swap, each with its pictures."""
    albums = selectors.albums_with_items(user=request.user)
    return render(request, "swaps/album_list.html", {"albums": albums})


@login_required
@require_POST
def share_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a share link for one of my finished swaps, for 1, 7 or 30 days."""
    task = _get_task_for_user(request, pk)
    days = request.POST.get("days", "")
    try:
        link = services.share_create(
            user=request.user,
            task=task,
            days=int(days) if days.isdigit() and len(days) < 4 else 0,
            badge=request.POST.get("badge") == "on",
        )
    except services.SwapError as exc:
        messages.error(request, exc.message)
    else:
        number = int(days)
        messages.success(
            request,
            ngettext(
                "Your link works for %(days)d day: copy it below.",
                "Your link works for %(days)d days: copy it below.",
                number,
            )
            % {"days": number},
        )
        request.session["share_new"] = link.pk
    return redirect(f"{task.get_absolute_url()}#share")


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    task = _get_task_for_user(request, pk)
    link = get_object_or_404(task.share_links.all(), pk=link_pk)
    services.share_revoke(link=link)
    messages.success(request, gettext("The link no longer works."))
    return redirect(f"{task.get_absolute_url()}#share")


def share_view(request: HttpRequest, token: str) -> HttpResponse:
    """A shared swap: the result picture only (no source photo, no account, no link to the owner's pages)."""
    link = selectors.share_link_live(token=token)
    if link is None:
        raise Http404("This link has expired or was turned off by its owner.")
    services.share_count_view(link=link)
    picture_url = request.build_absolute_uri(reverse("share:picture", args=[token]))
    response = render(request, "swaps/share.html", {"link": link, "task": link.task, "picture_url": picture_url})
    # Never kept by shared caches: a revoked link must stop working at once.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def share_picture(request: HttpRequest, token: str) -> HttpResponse:
    """The shared result picture itself (also the page's Open Graph image)."""
    link = selectors.share_link_live(token=token)
    if link is None:
        raise Http404("This link has expired or was turned off by its owner.")
    image = link.task.result_image
    if link.badge:
        # The owner chose a visible badge: the same picture with it, marked and signed again.
        response = HttpResponse(provenance.badged_result(link.task), content_type=image.content_type)
        response["Cache-Control"] = "private, no-cache"
        response["X-Robots-Tag"] = "noindex"
        return response
    # Streamed here rather than redirected to a presigned URL: the link must stop working the moment it is
    # revoked (a presigned URL would live on until it expires), and link previews need one stable address.
    # A transparent template's result is a PNG; the rest are JPEGs.
    response = FileResponse(image_open(image), content_type=image.content_type)
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def _get_album_for_user(request: HttpRequest, pk: int) -> Album:
    return get_object_or_404(selectors.albums_for_user(user=request.user), pk=pk)


@login_required
def album_new(request: HttpRequest) -> HttpResponse:
    """ "Try on several templates": tick up to 12, give the two photos once, get one album page."""
    templates = template_selectors.template_list_for_album(user=request.user)
    photos = selectors.photos_for_picker(user=request.user)
    errors: dict[str, list[str]] = {}
    checks: dict[str, services.PhotoCheck] = {}
    chosen: dict[str, Image] = {}
    if request.method == "POST":
        form = AlbumForm(request.POST, request.FILES, photos=photos, templates=templates)
        if form.is_valid():
            try:
                album = at_low_priority(
                    services.album_submit,
                    user=request.user,
                    templates=list(form.cleaned_data["templates"]),
                    husband=form.person("husband"),
                    wife=form.person("wife"),
                    this_is_me=form.cleaned_data["this_is_me"],
                )
            except services.SwapSubmitError as exc:
                errors, checks = exc.message_dict, exc.checks
                chosen = {role: image for role, image in exc.photos.items() if checks[role].boxes}
            else:
                return redirect(album)
        else:
            errors = form.errors
        ticked = request.POST.getlist("templates")
    else:
        ticked = request.GET.getlist("t")
    form = AlbumForm(
        photos=photos,
        templates=templates,
        initial={
            **{f"{role}_photo": image.pk for role, image in chosen.items()},
            **{f"{role}_face": checks[role].chosen for role in chosen if role in checks},
        },
    )
    picker_photos = _picker_photos(photos)
    context = {
        "form": form,
        "templates": templates,
        "ticked": set(ticked),
        "max_templates": Album.MAX_TEMPLATES,
        "photos": picker_photos,
        "blocks": _people_blocks(request, form, chosen, checks, errors, picker_photos),
        "template_errors": errors.get("templates", []),
        "non_field_errors": errors.get(NON_FIELD_ERRORS, []),
    }
    context["partner_consent"] = settings.PARTNER_CONSENT_REQUIRED
    context["ask_this_is_me"] = settings.PARTNER_CONSENT_REQUIRED and not selectors.holder_face_confirmed(
        user=request.user
    )
    return render(request, "swaps/album_form.html", context)


@login_required
def album_detail(request: HttpRequest, pk: int) -> HttpResponse:
    album = _get_album_for_user(request, pk)
    items = list(selectors.album_items(album=album))
    context = {
        "album": album,
        "items": items,
        "finished": all(item.is_finished for item in items),
        "done": sum(item.status == FaceSwapTask.Status.COMPLETED for item in items),
        # An album asks the partner once: its swaps share one invitation.
        "waiting_consent": next((item.consent for item in items if item.waiting_for_partner), None),
        # Its invitation expired unanswered: the album's swaps ended; invite again from here.
        "no_answer": next((item for item in items if item.partner_did_not_answer), None),
    }
    return render(request, "swaps/album_detail.html", context)


@never_cache
@login_required
def album_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Each tile's state, polled by the album page."""
    album = _get_album_for_user(request, pk)
    items = [
        {
            "id": item.pk,
            "status": item.status,
            "step": item.step_label,
            "progress": item.progress or 0,
            "finished": item.is_finished,
            "can_retry": item.status == FaceSwapTask.Status.FAILED and not item.partner_did_not_answer,
            "error_message": item.error_message_shown,
            "result_url": item.result_image.get_thumbnail_url() if item.result_image else None,
        }
        for item in selectors.album_items(album=album)
    ]
    return JsonResponse({"items": items, "finished": all(item["finished"] for item in items)})


@login_required
def album_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Download all": the album's finished pictures in one ZIP (JPEGs are stored, not compressed again)."""
    album = _get_album_for_user(request, pk)
    archive = services.album_zip(album=album)
    if archive is None:
        raise Http404("No picture of this album is ready yet.")
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="couple-album-{album.pk}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
