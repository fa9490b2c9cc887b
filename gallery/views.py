"""My photos (upload, list, delete) and the access-checked media views for every stored picture."""

from __future__ import annotations

from functools import wraps
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import Storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from . import selectors
from .forms import PhotoUploadForm
from .fragments import cards_render
from .models import CONTENT_TYPES, PHOTO_TRIED_KEY, Image, ImageType
from .services import HeavyWorkBusy, at_low_priority, image_delete, image_rotate, image_upload_or_reuse
from .storage import IMMUTABLE_CACHE, is_public_key, uses_object_store

# People's photos may sit in their own browser's cache for a while, never in a shared cache.
PRIVATE_CACHE = "private, max-age=3600"
# My photos shows this many at a time (newest first), so the page costs the same with 3 photos or 300.
PHOTOS_PER_PAGE = 30
# What a photo's card shows of it (its kept copy is keyed by exactly these: gallery.fragments).
PHOTO_CARD_FIELDS = ("owner", "filename", "file", "width", "height", "image_type", "uploaded_at", "metadata")
PHOTO_CARD = "gallery/includes/photo_card.html"
# Someone else's picture shown by leave (a couple's shared result): asked again each time (a 304 while the
# leave holds), so the picture stops showing the moment the leave ends.
BY_LEAVE_CACHE = "private, no-cache"
# A redirect to a presigned URL must not outlive the URL (AWS_QUERYSTRING_EXPIRE): keep it nowhere.
REDIRECT_PRIVATE_CACHE = "private, no-store"
# The old per-id URL of a public picture leads to its immutable URL; that link may change, so briefly.
REDIRECT_PUBLIC_CACHE = "public, max-age=300"


class _LoginNeeded(Exception):
    """An anonymous visitor asked for a private picture (or one that does not exist)."""


def _get_image_for_user(request: HttpRequest, pk: int) -> Image:
    """The image if this visitor may see it; 404 for anyone else's photo, whether or not it exists.

    Anonymous visitors asking for anything but a public template image are sent to log in (raised as
    _LoginNeeded), so they cannot tell which photo ids exist either.
    """
    image = Image.objects.filter(pk=pk).first()
    if image is not None and not image.is_private:
        return image
    if not request.user.is_authenticated:
        raise _LoginNeeded
    if image is None or not selectors.user_can_view_image(user=request.user, image=image):
        raise Http404("No such photo.")
    return image


def _login_for_private(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _LoginNeeded:
            return redirect_to_login(request.get_full_path())

    return wrapper


def _file_response(
    request: HttpRequest,
    storage: Storage,
    key: str,
    *,
    content_type: str,
    etag: str,
    cache_control: str,
    download_name: str = "",
) -> HttpResponse:
    """A local file as a FileResponse (sendfile where the server has it), answering conditional GETs."""
    try:
        last_modified = storage.get_modified_time(key)
    except (FileNotFoundError, NotImplementedError) as exc:
        raise Http404("The picture's file is missing.") from exc
    response = get_conditional_response(
        request, etag=etag or None, last_modified=int(last_modified.timestamp()) if last_modified else None
    )
    if response is None:
        try:
            stored = storage.open(key, "rb")
        except FileNotFoundError as exc:
            raise Http404("The picture's file is missing.") from exc
        response = FileResponse(
            stored, content_type=content_type, as_attachment=bool(download_name), filename=download_name or None
        )
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = cache_control
    if etag:
        response["ETag"] = etag
    return response


def _serve(request: HttpRequest, image: Image, key: str, *, content_type: str, etag: str) -> HttpResponse:
    """One stored file of `image`, with cache headers that keep private photos private.

    With S3 nothing is streamed here: the owner (already checked) is sent to a presigned URL that expires
    within minutes, and a public template picture to its immutable public URL.
    """
    download = bool(request.GET.get("download"))
    storage = image.file.storage
    if uses_object_store(storage):
        if not image.is_private and not download:
            response = HttpResponseRedirect(image.public_url_for(key))
            response["Cache-Control"] = REDIRECT_PUBLIC_CACHE
            return response
        response = HttpResponseRedirect(
            storage.presigned_url(key, download_name=image.filename if download else "", content_type=content_type)
        )
        response["Cache-Control"] = REDIRECT_PRIVATE_CACHE
    else:
        response = _file_response(
            request,
            storage,
            key,
            content_type=content_type,
            etag="" if download else etag,
            cache_control=_private_cache(request, image) if image.is_private else IMMUTABLE_CACHE,
            download_name=(image.filename or "photo") if download else "",
        )
    if image.is_private:
        patch_vary_headers(response, ["Cookie"])
    return response


def _private_cache(request: HttpRequest, image: Image) -> str:
    return PRIVATE_CACHE if image.owner_id is not None and image.owner_id == request.user.pk else BY_LEAVE_CACHE


@require_safe
@_login_for_private
def image_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The full picture; `?download=1` serves it as an attachment."""
    image = _get_image_for_user(request, pk)
    etag = f'"{image.sha256}"' if image.sha256 else ""
    return _serve(request, image, image.file.name, content_type=image.content_type, etag=etag)


@require_safe
@_login_for_private
def image_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """The thumbnail made at upload (the full picture for images stored without one)."""
    image = _get_image_for_user(request, pk)
    if not image.thumbnail_key:
        return image_file(request, pk)
    etag = f'"{image.sha256}-thumb"' if image.sha256 else ""
    return _serve(request, image, image.thumbnail_key, content_type=image.thumbnail_content_type, etag=etag)


@require_safe
def public_file(request: HttpRequest, key: str) -> HttpResponse:
    """A public (template) picture from local storage at its immutable, content-addressed URL.

    Only keys under the public prefix are served, so no private photo is reachable here whatever the key.
    With S3 these URLs are not used: browsers fetch public pictures from the object store.
    """
    if not is_public_key(key):
        raise Http404("No such picture.")
    storage = Image._meta.get_field("file").storage
    if uses_object_store(storage):
        # Public pictures live at the object store's (or CDN's) URL; this process never carries their bytes.
        # Whether the object exists is the store's answer (404 there), never a 500 here.
        response = HttpResponseRedirect(storage.public_url(key))
        response["Cache-Control"] = REDIRECT_PUBLIC_CACHE
        return response
    suffix = PurePosixPath(key).suffix.lower()
    try:
        return _file_response(
            request,
            storage,
            key,
            content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
            etag=f'"{PurePosixPath(key).stem}"',
            cache_control=IMMUTABLE_CACHE,
        )
    except SuspiciousFileOperation as exc:
        raise Http404("No such picture.") from exc


@login_required
@require_http_methods(["GET", "POST"])
def photo_list(request: HttpRequest) -> HttpResponse:
    """My photos: upload one or several, see them as thumbnails."""
    form = PhotoUploadForm(request.POST, request.FILES) if request.method == "POST" else PhotoUploadForm()
    if form.is_bound and form.is_valid():
        added = 0
        busy = False
        for upload in form.cleaned_data["photos"]:
            try:
                image, created = image_upload_or_reuse(owner=request.user, file=upload, image_type=ImageType.SOURCE)
            except ValidationError as exc:
                busy = busy or isinstance(exc, HeavyWorkBusy)
                form.add_error("photos", f"{upload.name}: {' '.join(exc.messages)}")
                continue
            if not created:
                messages.info(
                    request,
                    _("%(name)s is already in your photos (as %(filename)s).")
                    % {"name": upload.name, "filename": image.filename},
                )
                continue
            added += 1
        if added:
            messages.success(
                request, ngettext("Added %(count)d photo.", "Added %(count)d photos.", added) % {"count": added}
            )
        if not form.errors:
            return redirect("gallery:photo_list")
        if busy and not added:
            # Too many pictures of this person at once: the page with the reason, as 429 for scripts.
            response = render(request, "gallery/photo_list.html", _photo_list_context(request, form), status=429)
            response["Retry-After"] = "5"
            return response
    return render(request, "gallery/photo_list.html", _photo_list_context(request, form))


def _photo_list_context(request: HttpRequest, form: PhotoUploadForm) -> dict:
    """My photos, PHOTOS_PER_PAGE at a time, with the ones only tried on the swap form apart (all of them,
    shown folded, below the others)."""
    photos = selectors.image_list_for_owner(owner=request.user)
    # Kept: no metadata, no "tried" key, or a false one (exclude() would also drop rows without the key).
    kept = photos.filter(
        Q(metadata__isnull=True)
        | Q(**{f"metadata__{PHOTO_TRIED_KEY}__isnull": True})
        | Q(**{f"metadata__{PHOTO_TRIED_KEY}": False})
    )
    page = Paginator(kept.only(*PHOTO_CARD_FIELDS), PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
    tried = list(photos.filter(**{f"metadata__{PHOTO_TRIED_KEY}": True}).only(*PHOTO_CARD_FIELDS))
    return {
        "form": form,
        "page": page,
        "photos": page.object_list,
        "cards": cards_render(request, PHOTO_CARD, [{"photo": p} for p in page.object_list]),
        "tried_photos": tried,
        "tried_cards": cards_render(request, PHOTO_CARD, [{"photo": p} for p in tried], shared={"tried": True}),
    }


@login_required
@require_GET
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One photo: the picture, its details, download and delete."""
    image = _get_image_for_user(request, pk)
    return render(
        request,
        "gallery/image_detail.html",
        {"image": image, "in_use": selectors.image_is_in_use(image=image)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def image_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete a photo and its files. Refused while a waiting swap still needs it."""
    image = _get_image_for_user(request, pk)
    if image.image_type == ImageType.TEMPLATE:
        # Template pictures are managed with their template in the admin.
        raise Http404("No such photo.")
    in_use = selectors.image_is_in_use(image=image)
    if request.method == "POST":
        if in_use:
            messages.error(
                request, _("This photo is being used by a swap that has not finished yet. Delete it once it is done.")
            )
            return redirect(image.get_absolute_url())
        name = image.filename
        image_delete(image=image)
        messages.success(request, _("Deleted %(name)s.") % {"name": name})
        return redirect("gallery:photo_list")
    return render(request, "gallery/image_confirm_delete.html", {"image": image, "in_use": in_use})


@login_required
@require_http_methods(["GET", "POST"])
def tried_delete_view(request: HttpRequest) -> HttpResponse:
    """Confirm, then delete every photo only tried on the swap form (none a swap uses: using one keeps it)."""
    tried = [
        photo
        for photo in selectors.image_list_for_owner(owner=request.user)
        if (photo.metadata or {}).get(PHOTO_TRIED_KEY) and not selectors.image_is_in_use(image=photo)
    ]
    if request.method == "POST":
        for photo in tried:
            image_delete(image=photo)
        if tried:
            messages.success(
                request,
                ngettext("Deleted %(count)d tried photo.", "Deleted %(count)d tried photos.", len(tried))
                % {"count": len(tried)},
            )
        return redirect("gallery:photo_list")
    return render(request, "gallery/tried_confirm_delete.html", {"tried_photos": tried})


@login_required
@require_POST
def image_rotate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn one of my photos a quarter turn left or right (a face not found because it lies sideways)."""
    image = _get_image_for_user(request, pk)
    if image.image_type != ImageType.SOURCE or image.owner_id != request.user.pk:
        raise Http404("No such photo.")
    if selectors.image_is_in_use(image=image):
        messages.error(
            request, _("This photo is being used by a swap that has not finished yet. Turn it once it is done.")
        )
    else:
        try:
            # Below the pages' priority, as uploads are (a turn decodes and encodes the whole picture).
            image = at_low_priority(image_rotate, image=image, clockwise=request.POST.get("direction") == "right")
        except HeavyWorkBusy as exc:
            messages.error(request, " ".join(exc.messages))
        except Image.DoesNotExist as exc:  # deleted meanwhile (another tab)
            raise Http404("No such photo.") from exc
        else:
            messages.success(request, _("Turned %(name)s.") % {"name": image.filename})
    return redirect("gallery:photo_list")
