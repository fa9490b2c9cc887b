"""Pictures generated in memory with Pillow, as a browser would upload them, and stored images."""

from __future__ import annotations

import io
import random
import struct
import zlib

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from gallery.models import Image, ImageType
from gallery.services import image_upload

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def picture(size=(64, 48), colour=(200, 40, 90), mode="RGB", noise: bool = False) -> PILImage.Image:
    """A picture of one colour, or of random pixels (which compress badly: a larger file)."""
    if noise:
        rng = np.random.default_rng(7)
        return PILImage.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    return PILImage.new(mode, size, colour)


def encode(img: PILImage.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_upload(name: str = "photo.jpg", **picture_kwargs) -> SimpleUploadedFile:
    return upload(encode(picture(**picture_kwargs), "JPEG", quality=90), name)


def random_bytes(n: int = 5000, seed: int = 4) -> bytes:
    return random.Random(seed).randbytes(n)


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A small PNG (about 50 KB) that claims width x height one-colour pixels (1-bit greyscale)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def stored_image(*, owner, image_type: str = ImageType.SOURCE, name: str = "photo.jpg", **picture_kwargs) -> Image:
    """An image stored through the real upload service."""
    return image_upload(owner=owner, file=jpeg_upload(name, **picture_kwargs), image_type=image_type)
