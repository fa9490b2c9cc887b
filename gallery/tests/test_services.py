"""image_upload / image_delete: what is accepted, how it is stored, and what is refused (with nothing stored)."""

import hashlib
import io

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from PIL import ExifTags
from PIL import Image as PILImage

from gallery.models import Image, ImageType
from gallery.services import image_delete, image_upload, sanitise_filename
from testing import cast as f
from testing.cast import BAD_INPUTS, stored_files, user_create

pytestmark = pytest.mark.django_db


def open_stored(key: str) -> PILImage.Image:
    with default_storage.open(key, "rb") as fh:
        img = PILImage.open(io.BytesIO(fh.read()))
        img.load()
        return img


@pytest.fixture
def owner():
    return user_create()


# --- Refused, each with its own message, and nothing stored ------------------------------------------


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_with_its_own_message_and_nothing_stored(case, owner, settings):
    make_file, code, words = BAD_INPUTS[case]
    with pytest.raises(ValidationError) as caught:
        image_upload(owner=owner, file=make_file(), image_type=ImageType.SOURCE)
    assert caught.value.code == code
    message = " ".join(caught.value.messages)
    assert words in message
    assert "Please" in message or "please" in message, "the message should say what to do"
    assert Image.objects.count() == 0
    assert stored_files(settings) == []


def test_bad_input_messages_are_all_different(owner):
    messages = set()
    for make_file, _, _ in BAD_INPUTS.values():
        with pytest.raises(ValidationError) as caught:
            image_upload(owner=owner, file=make_file(), image_type=ImageType.SOURCE)
        messages.add(caught.value.messages[0])
    assert len(messages) == len(BAD_INPUTS)


def test_file_over_the_byte_limit_is_refused(owner, settings):
    settings.UPLOAD_MAX_BYTES = 20_000
    data = f.encode(f.picture((300, 300), noise=True), "JPEG", quality=95)
    assert len(data) > 20_000
    with pytest.raises(ValidationError) as caught:
        image_upload(owner=owner, file=f.upload(data, "big.jpg"), image_type=ImageType.SOURCE)
    assert caught.value.code == "too_large"
    assert caught.value.messages == [
        f"The file is {len(data) / 1024:.1f} KB; the limit is 19.5 KB. "
        "Please upload a smaller photo (a phone's normal photo size is fine)."
    ]
    assert Image.objects.count() == 0
    assert stored_files(settings) == []


def test_file_whose_reported_size_lies_is_still_refused_past_the_limit(owner, settings):
    settings.UPLOAD_MAX_BYTES = 20_000
    data = f.encode(f.picture((300, 300), noise=True), "JPEG", quality=95)
    file = ContentFile(data, name="liar.jpg")
    file.size = 100  # a client (or a bug) reporting the wrong size must not get past the limit
    with pytest.raises(ValidationError) as caught:
        image_upload(owner=owner, file=file, image_type=ImageType.SOURCE)
    assert caught.value.code == "too_large"


def test_picture_over_the_pixel_limit_is_refused_before_decoding(owner, settings):
    settings.UPLOAD_MAX_PIXELS = 10_000
    with pytest.raises(ValidationError) as caught:
        image_upload(owner=owner, file=f.jpeg_upload(size=(200, 100)), image_type=ImageType.SOURCE)
    assert caught.value.code == "too_many_pixels"
    assert "200 x 100 pixels" in caught.value.messages[0]
    assert stored_files(settings) == []


def test_other_formats_pillow_reads_are_refused(owner):
    for fmt, name in (("BMP", "scan.bmp"), ("TIFF", "scan.tiff")):
        with pytest.raises(ValidationError) as caught:
            image_upload(owner=owner, file=f.upload(f.encode(f.picture(), fmt), name), image_type=ImageType.SOURCE)
        assert caught.value.code == "format"
        assert f"{fmt} images are not accepted" in caught.value.messages[0]


def test_a_failure_after_writing_files_leaves_nothing_behind(owner, settings, monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(Image, "save", failing_save)
    with pytest.raises(DatabaseError):
        image_upload(owner=owner, file=f.jpeg_upload(), image_type=ImageType.SOURCE)
    assert stored_files(settings) == []


# --- Accepted and stored correctly -------------------------------------------------------------------


def test_jpeg_is_stored_with_key_thumbnail_and_metadata(owner, settings):
    image = image_upload(
        owner=owner, file=f.jpeg_upload("../../My Holiday (1).JPG", size=(1200, 800)), image_type=ImageType.SOURCE
    )
    image.refresh_from_db()
    key = image.file.name
    parts = key.split("/")
    assert parts[:2] == [settings.STORAGE_BACKEND, "source"]
    assert len(parts) == 5 and parts[2].isdigit() and parts[3].isdigit()
    assert parts[4].endswith(".jpg") and "Holiday" not in parts[4]
    assert image.filename == "My_Holiday_1.jpg"
    assert (image.width, image.height) == (1200, 800)
    with default_storage.open(key, "rb") as fh:
        data = fh.read()
    assert image.file_size == len(data)
    assert image.metadata["sha256"] == hashlib.sha256(data).hexdigest()
    assert image.metadata["format"] == "JPEG"
    thumb = open_stored(image.metadata["thumbnail"])
    assert thumb.format == "JPEG"
    assert thumb.size == (480, 320)
    assert image.metadata["thumbnail"].rsplit("/", 1)[0] == key.rsplit("/", 1)[0], "thumbnail beside the image"
    assert sorted(stored_files(settings)) == sorted([key, image.metadata["thumbnail"]])


def test_exif_rotated_jpeg_is_stored_upright(owner):
    # The camera wrote the pixels sideways (60 wide, red on top) and says "rotate 90 degrees clockwise".
    raw = PILImage.new("RGB", (60, 40), (220, 0, 0))
    raw.paste((0, 0, 220), (0, 20, 60, 40))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    upload = f.upload(f.encode(raw, "JPEG", quality=95, exif=exif), "sideways.jpg")

    image = image_upload(owner=owner, file=upload, image_type=ImageType.SOURCE)
    stored = open_stored(image.file.name)
    assert stored.size == (40, 60) == (image.width, image.height)
    assert not stored.getexif(), "no orientation tag left to rotate it a second time"
    left, right = stored.getpixel((5, 30)), stored.getpixel((35, 30))
    assert left[2] > 150 and left[0] < 80, "the bottom (blue) of the sensor is now on the left"
    assert right[0] > 150 and right[2] < 80


def test_gps_exif_is_removed(owner):
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.5)
    data = f.encode(f.picture((120, 90)), "JPEG", exif=exif, comment=b"secret note")
    assert PILImage.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo has GPS"

    image = image_upload(owner=owner, file=f.upload(data, "located.jpg"), image_type=ImageType.SOURCE)
    with default_storage.open(image.file.name, "rb") as fh:
        stored_bytes = fh.read()
    stored = PILImage.open(io.BytesIO(stored_bytes))
    assert not stored.getexif()
    assert "exif" not in stored.info and "comment" not in stored.info
    assert b"Exif" not in stored_bytes and b"PhoneMaker" not in stored_bytes and b"secret note" not in stored_bytes
    with default_storage.open(image.metadata["thumbnail"], "rb") as fh:
        assert b"Exif" not in fh.read()


def test_cmyk_jpeg_is_stored_as_rgb_with_its_colour(owner):
    cmyk_red = PILImage.new("CMYK", (80, 60), (0, 255, 255, 0))
    image = image_upload(owner=owner, file=f.upload(f.encode(cmyk_red, "JPEG"), "print.jpg"), image_type="source")
    stored = open_stored(image.file.name)
    assert stored.mode == "RGB"
    r, g, b = stored.getpixel((40, 30))
    assert r > 200 and g < 60 and b < 60
    assert image.metadata["format"] == "JPEG" and image.metadata["mode"] == "CMYK"


def test_16_bit_png_is_scaled_to_8_bit_not_clipped(owner):
    grey16 = PILImage.fromarray(np.full((50, 70), 32768, dtype=np.uint16))
    assert grey16.mode == "I;16"
    data = f.encode(grey16, "PNG")
    assert data[24] == 16, "the test PNG has a bit depth of 16"
    image = image_upload(owner=owner, file=f.upload(data, "scan.png", "image/png"), image_type="source")
    stored = open_stored(image.file.name)
    assert stored.mode == "RGB"
    assert all(abs(channel - 128) <= 2 for channel in stored.getpixel((10, 10)))
    assert image.metadata["format"] == "PNG" and image.metadata["mode"] == "I;16"


def test_png_with_alpha_is_flattened_onto_white(owner):
    rgba = PILImage.new("RGBA", (60, 40), (0, 0, 0, 0))
    rgba.paste((200, 0, 0, 255), (0, 0, 30, 40))
    image = image_upload(owner=owner, file=f.upload(f.encode(rgba, "PNG"), "cutout.png"), image_type="source")
    stored = open_stored(image.file.name)
    assert stored.mode == "RGB"
    assert all(abs(a - b) <= 3 for a, b in zip(stored.getpixel((10, 10)), (200, 0, 0), strict=True))
    assert all(channel >= 252 for channel in stored.getpixel((50, 10)))
    assert "transparency flattened onto white" in image.metadata["notes"]


def _cutout(size=(600, 400)) -> PILImage.Image:
    """Noisy colours under a graded alpha (0 at the corners, 255 in the middle), hidden pixels not black."""
    rng = np.random.default_rng(13)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    distance = np.hypot((x - size[0] / 2) / (size[0] / 2), (y - size[1] / 2) / (size[1] / 2))
    alpha = np.clip((1.1 - distance) * 600, 0, 255).astype(np.uint8)
    return PILImage.fromarray(np.dstack([pixels, alpha]), mode="RGBA")


def test_transparent_png_template_keeps_its_alpha_and_gets_an_alpha_thumbnail(owner, client):
    cutout = _cutout()
    image = image_upload(owner=None, file=f.upload(f.encode(cutout, "PNG"), "cutout.png"), image_type="template")
    stored = open_stored(image.file.name)
    assert stored.format == "PNG" and stored.mode == "RGBA" and image.file.name.endswith(".png")
    assert np.array_equal(np.asarray(stored)[..., 3], np.asarray(cutout)[..., 3]), "alpha byte for byte"
    # Lossless: even the hidden pixels' colours stay (the engine decides what to paint where).
    assert np.array_equal(np.asarray(stored), np.asarray(cutout))
    assert image.metadata["alpha"] is True and "transparency kept" in image.metadata["notes"]
    assert image.has_alpha
    thumb = open_stored(image.thumbnail_key)
    assert thumb.format == "WEBP" and thumb.mode == "RGBA" and thumb.size == (480, 320)
    corner, middle = thumb.getpixel((0, 0))[3], thumb.getpixel((240, 160))[3]
    assert corner == 0 and middle == 255
    assert image.thumbnail_content_type == "image/webp"
    response = client.get(image.get_thumbnail_url())
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"


def test_transparent_webp_template_is_stored_as_png_with_alpha(owner):
    cutout = _cutout((200, 100))
    data = f.encode(cutout, "WEBP", lossless=True)
    image = image_upload(owner=None, file=f.upload(data, "cutout.webp", "image/webp"), image_type="template")
    stored = open_stored(image.file.name)
    assert stored.format == "PNG" and stored.mode == "RGBA" and image.filename == "cutout.png"
    assert np.array_equal(np.asarray(stored)[..., 3], np.asarray(cutout)[..., 3])


def test_opaque_rgba_template_and_transparent_photo_have_no_alpha(owner):
    opaque = PILImage.new("RGBA", (60, 40), (10, 200, 30, 255))
    art = image_upload(owner=None, file=f.upload(f.encode(opaque, "PNG"), "flat.png"), image_type="template")
    assert open_stored(art.file.name).mode == "RGB" and not art.has_alpha
    assert open_stored(art.thumbnail_key).format == "JPEG"
    # A person's photo with alpha is still flattened onto white: faces need solid pixels.
    photo = image_upload(owner=owner, file=f.upload(f.encode(_cutout(), "PNG"), "me.png"), image_type="source")
    stored = open_stored(photo.file.name)
    assert stored.format == "JPEG" and stored.mode == "RGB" and not photo.has_alpha
    assert all(channel >= 250 for channel in stored.getpixel((0, 0)))
    assert open_stored(photo.thumbnail_key).format == "JPEG" and photo.thumbnail_key.endswith("_thumb.jpg")


def test_palette_png_with_transparency_is_converted(owner):
    palette = PILImage.new("RGBA", (40, 40), (0, 128, 0, 255)).convert("P")
    palette.info["transparency"] = 0
    image = image_upload(owner=owner, file=f.upload(f.encode(palette, "PNG"), "icon.png"), image_type="source")
    assert open_stored(image.file.name).mode == "RGB"


def test_webp_is_accepted_and_stored_as_jpeg(owner):
    data = f.encode(f.picture((90, 60), colour=(10, 120, 200)), "WEBP", quality=90)
    image = image_upload(owner=owner, file=f.upload(data, "phone.webp", "image/webp"), image_type="source")
    stored = open_stored(image.file.name)
    assert stored.format == "JPEG" and stored.size == (90, 60)
    assert image.metadata["format"] == "WEBP"
    assert image.filename == "phone.jpg"


def heic_bytes(picture: PILImage.Image, *, exif: PILImage.Exif | None = None) -> bytes:
    """An iPhone-style HEIC file made with pillow-heif (the library the site decodes them with)."""
    import pillow_heif

    heif = pillow_heif.from_pillow(picture)
    buffer = io.BytesIO()
    heif.save(buffer, quality=90, exif=exif.tobytes() if exif is not None else None)
    return buffer.getvalue()


def test_heic_is_accepted_upright_without_metadata_and_stored_as_jpeg(owner):
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 1.5)
    raw = PILImage.new("RGB", (96, 64), (220, 0, 0))
    raw.paste((0, 0, 220), (0, 32, 96, 64))  # red on top, blue below
    data = heic_bytes(raw, exif=exif)
    assert PILImage.open(io.BytesIO(data)).format == "HEIF"
    image = image_upload(owner=owner, file=f.upload(data, "IMG_0001.HEIC", "image/heic"), image_type="source")
    with default_storage.open(image.file.name, "rb") as fh:
        stored_bytes = fh.read()
    stored = PILImage.open(io.BytesIO(stored_bytes))
    assert stored.format == "JPEG" and stored.size == (96, 64) == (image.width, image.height)
    top, bottom = stored.getpixel((48, 8)), stored.getpixel((48, 56))
    assert top[0] > 150 and bottom[2] > 150, "upright, as the camera showed it"
    assert not stored.getexif() and b"PhoneMaker" not in stored_bytes
    assert image.metadata["format"] == "HEIF" and image.filename == "IMG_0001.jpg"


def test_png_content_named_jpg_is_judged_by_its_content(owner):
    data = f.encode(f.picture((30, 30)), "PNG")
    image = image_upload(owner=owner, file=f.upload(data, "really-a-png.gif"), image_type="source")
    assert image.metadata["format"] == "PNG"
    assert image.filename == "really-a-png.jpg"


def test_people_s_png_photos_are_stored_as_jpeg_and_template_art_stays_png(owner):
    data = f.encode(f.picture((64, 64)), "PNG")
    photo = image_upload(owner=owner, file=f.upload(data, "me.png"), image_type="source")
    assert open_stored(photo.file.name).format == "JPEG" and photo.file.name.endswith(".jpg")
    art = image_upload(owner=None, file=f.upload(data, "art.png"), image_type="template")
    assert open_stored(art.file.name).format == "PNG" and art.file.name.endswith(".png")
    assert art.filename == "art.png"


def test_worker_style_content_file_result_and_template_without_owner(owner):
    result = image_upload(
        owner=owner, file=ContentFile(f.encode(f.picture(), "JPEG"), name="result.jpg"), image_type="result"
    )
    assert result.image_type == "result" and result.file.name.split("/")[1] == "result"
    template = image_upload(
        owner=None,
        file=ContentFile(f.encode(f.picture(), "JPEG"), name="t1.jpg"),
        image_type="template",
        category="movie",
        tags=["romance", "classic"],
    )
    assert template.owner is None and template.category == "movie"
    assert sorted(template.tags.names()) == ["classic", "romance"]


def test_same_photo_twice_has_the_same_sha256(owner):
    data = f.encode(f.picture((100, 80), noise=True), "JPEG")
    first = image_upload(owner=owner, file=f.upload(data, "a.jpg"), image_type="source")
    second = image_upload(owner=owner, file=f.upload(data, "b.jpg"), image_type="source")
    assert first.sha256 == second.sha256
    assert first.file.name != second.file.name


def test_sanitise_filename():
    assert sanitise_filename("C:\\Users\\me\\Photo 1.jpeg", suffix=".jpg") == "Photo_1.jpg"
    assert sanitise_filename("..", suffix=".png") == "photo.png"
    assert sanitise_filename(None) == "photo.jpg"
    assert sanitise_filename("a\x00b<script>.jpg") == "abscript.jpg"
    assert len(sanitise_filename("x" * 400 + ".jpg")) == 255


# --- Deleting ----------------------------------------------------------------------------------------


def test_image_delete_removes_row_and_both_files(owner, settings, django_capture_on_commit_callbacks):
    image = f.stored_image(owner=owner)
    keep = f.stored_image(owner=owner, name="keep.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        image_delete(image=image)
    assert not Image.objects.filter(pk=image.pk).exists()
    assert sorted(stored_files(settings)) == sorted([keep.file.name, keep.thumbnail_key])


@pytest.mark.django_db(transaction=True)
def test_image_delete_keeps_files_when_the_transaction_rolls_back(settings):
    owner = user_create()
    image = f.stored_image(owner=owner)
    pk = image.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        image_delete(image=image)
        raise RuntimeError("something else failed")
    assert Image.objects.filter(pk=pk).exists()
    assert len(stored_files(settings)) == 2
    image_delete(image=Image.objects.get(pk=pk))
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_a_generated_picture_is_stored_like_an_upload_without_the_upload_limits(settings, django_user_model):
    from gallery.services import image_store_generated

    settings.UPLOAD_MAX_BYTES = 1000  # far below the picture's size: the limit is for uploads only
    owner = django_user_model.objects.create_user(username="gen", email="gen@example.com", password="x" * 12)
    picture = np.zeros((300, 400, 3), dtype=np.uint8)
    picture[:, :200] = (200, 30, 40)
    image = image_store_generated(owner=owner, picture=picture, image_type="result", filename="swap-7.jpg")
    assert (image.width, image.height, image.image_type, image.owner) == (400, 300, "result", owner)
    assert image.filename == "swap-7.jpg" and image.metadata["format"] == "generated"
    with image.file.open("rb") as fp, PILImage.open(fp) as stored:
        assert stored.format == "JPEG" and stored.size == (400, 300)
        assert stored.getpixel((10, 10))[0] > 180
    assert image.file.storage.exists(image.metadata["thumbnail"])


def test_rotate_turns_the_picture_replaces_its_files_and_drops_what_others_learnt(
    owner, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from gallery.services import hooks, image_rotate

    # The apps above gallery hear of the turned photo (swaps checks it again); here a listener stands in
    # for them, so what the row keeps is gallery's own doing.
    heard = []
    monkeypatch.setattr(hooks, "_PHOTO_ADDED_HOOKS", [lambda photo: heard.append(dict(photo.metadata))])

    raw = PILImage.new("RGB", (60, 40), (220, 0, 0))
    raw.paste((0, 0, 220), (0, 20, 60, 40))  # red on top, blue below
    image = image_upload(owner=owner, file=f.upload(f.encode(raw, "JPEG", quality=95), "side.jpg"), image_type="source")
    old_files = set(stored_files(settings))
    image.metadata = {**image.metadata, "faces": [], "face_check": {"ok": False, "message": "no face"}}
    image.save(update_fields=["metadata"])
    with django_capture_on_commit_callbacks(execute=True):
        image = image_rotate(image=image, clockwise=True)
    image.refresh_from_db()
    stored = open_stored(image.file.name)
    assert stored.size == (40, 60) == (image.width, image.height)
    left, right = stored.getpixel((5, 30)), stored.getpixel((35, 30))
    assert left[2] > 150 and right[0] > 150, "turned clockwise: the bottom (blue) is now on the left"
    assert "faces" not in image.metadata and "face_check" not in image.metadata
    assert heard == [image.metadata], "the apps that look at photos heard of the turned one"
    assert open_stored(image.metadata["thumbnail"]).size[1] > open_stored(image.metadata["thumbnail"]).size[0]
    assert not old_files & set(stored_files(settings)), "the old picture and thumbnail are gone"
    assert image.metadata["sha256"] == hashlib.sha256(default_storage.open(image.file.name).read()).hexdigest()


def test_mpo_jpeg_from_a_camera_is_accepted_as_its_first_picture(owner):
    """MPO (many cameras, Android Ultra HDR): a JPEG followed by more pictures; the first is the photo."""
    first, second = f.picture((120, 80), (200, 40, 90)), f.picture((60, 40), (10, 200, 10))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    assert PILImage.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    image = image_upload(owner=owner, file=f.upload(buffer.getvalue(), "camera.jpg"), image_type=ImageType.SOURCE)
    stored = open_stored(image.file.name)
    assert (stored.format, stored.size, getattr(stored, "n_frames", 1)) == ("JPEG", (120, 80), 1)
    assert abs(int(stored.getpixel((60, 40))[0]) - 200) < 8


@pytest.mark.django_db
def test_a_photo_stored_before_hashes_were_kept_is_still_recognised_in_another_format(faces_dir):
    """A photo from before perceptual hashes (no "phash") gets one when its owner adds another, so the same
    picture sent again as HEIC is the earlier photo, not a second one."""
    import io

    import pillow_heif
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage

    from gallery.services import image_upload_or_reuse
    from testing.cast import user_create

    owner = user_create(username="old-timer")
    jpeg = (faces_dir / "man_single_obama.jpg").read_bytes()
    earlier, created = image_upload_or_reuse(owner=owner, file=SimpleUploadedFile("IMG_1.jpg", jpeg))
    assert created
    earlier.metadata = {k: v for k, v in earlier.metadata.items() if k != "phash"}
    earlier.save(update_fields=["metadata"])
    heif = pillow_heif.from_pillow(PILImage.open(io.BytesIO(jpeg)).convert("RGB"))
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    again, created = image_upload_or_reuse(owner=owner, file=SimpleUploadedFile("IMG_1.HEIC", buffer.getvalue()))
    assert (again.pk, created) == (earlier.pk, False)
    assert owner.images.count() == 1 and "phash" in owner.images.get().metadata
    # A different picture of the same size is not taken for it.
    other = PILImage.open(io.BytesIO(jpeg)).convert("RGB").transpose(PILImage.Transpose.FLIP_TOP_BOTTOM)
    buffer = io.BytesIO()
    other.save(buffer, "JPEG", quality=90)
    _, created = image_upload_or_reuse(owner=owner, file=SimpleUploadedFile("upside.jpg", buffer.getvalue()))
    assert created and owner.images.count() == 2


@pytest.mark.django_db
def test_the_same_picture_in_two_formats_is_one_photo_but_a_recoloured_one_is_not(faces_dir):
    """The perceptual hash sees lightness only; its mean colour tells a recoloured picture (or two plain
    pictures of different colours) from the same picture sent again as HEIC."""
    import pillow_heif
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.services import image_upload_or_reuse

    owner = user_create(username="colours")
    original = PILImage.open(faces_dir / "woman_single_astronaut.png").convert("RGB")
    first, created = image_upload_or_reuse(owner=owner, file=SimpleUploadedFile("a.jpg", f.encode(original)))
    assert created
    heif = pillow_heif.from_pillow(original)
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    again, created = image_upload_or_reuse(owner=owner, file=SimpleUploadedFile("a.heic", buffer.getvalue()))
    assert (again.pk, created) == (first.pk, False)
    # The same shot turned warm (red up, blue down): the lightness pattern is alike, the picture is not.
    r, g, b = original.split()
    warm = PILImage.merge("RGB", (r.point(lambda v: min(255, v + 40)), g, b.point(lambda v: max(0, v - 40))))
    other, created = image_upload_or_reuse(owner=owner, file=SimpleUploadedFile("warm.jpg", f.encode(warm)))
    assert created and other.pk != first.pk
    red, created = image_upload_or_reuse(
        owner=owner, file=SimpleUploadedFile("r.jpg", f.encode(f.picture((64, 64), (200, 30, 30))))
    )
    assert created
    blue, created = image_upload_or_reuse(
        owner=owner, file=SimpleUploadedFile("b.jpg", f.encode(f.picture((64, 64), (30, 30, 200))))
    )
    assert created and blue.pk != red.pk
    assert owner.images.count() == 4
