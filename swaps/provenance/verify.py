"""Checking a picture: its C2PA manifest (present, signature valid, what it says) and its invisible mark."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import c2pa
import cv2
import numpy as np
from django.utils.translation import gettext as _

from . import watermark
from .signing import SITE_NAME, reader_context

# What a failed C2PA check means, in plain words (the codes are the C2PA specification's).
_PLAIN = {
    "assertion.dataHash.mismatch": "the picture was changed after it was signed",
    "assertion.hashedURI.mismatch": "the manifest was changed after it was signed",
    "claimSignature.mismatch": "the signature does not match the manifest",
    "signingCredential.invalid": "the signing certificate is not valid",
    "signingCredential.expired": "the signing certificate has expired",
}


@dataclass
class Verification:
    manifest: dict | None = None  # the active manifest, as c2pa reads it
    state: str | None = None  # c2pa's validation state: Trusted, Valid or Invalid
    problems: list[str] = field(default_factory=list)  # plain sentences, empty when all is well
    mark: watermark.Reading | None = None

    @property
    def signature_valid(self) -> bool:
        return self.manifest is not None and self.state in ("Valid", "Trusted") and not self.problems

    @property
    def made_here(self) -> bool:
        generators = (self.manifest or {}).get("claim_generator_info") or []
        return any(info.get("name") == SITE_NAME for info in generators)

    @property
    def ingredients(self) -> list[str]:
        return [item.get("title", "") for item in (self.manifest or {}).get("ingredients") or []]

    @property
    def edited_at(self) -> str | None:
        for assertion in (self.manifest or {}).get("assertions") or []:
            if assertion.get("label", "").startswith("c2pa.actions"):
                for action in assertion.get("data", {}).get("actions", []):
                    if action.get("action") == "c2pa.edited":
                        return action.get("when")
        return None

    @property
    def valid(self) -> bool:
        """What `verify_result` exits 0 for: a valid signature by this site and its mark read back."""
        return self.signature_valid and self.made_here and self.mark is not None and self.mark.public_id is not None


def _mime(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def read_manifest(data: bytes, result: Verification) -> None:
    mime = _mime(data)
    if mime is None:
        result.problems.append(_("This is not a JPEG, PNG or WebP picture."))
        return
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, reader_context())
    except c2pa.C2paError as exc:
        result.problems.append(_("The manifest could not be read (it is damaged): %(error)s") % {"error": exc})
        return
    if reader is None:
        result.problems.append(_("No C2PA manifest: the picture carries no signed provenance."))
        return
    with reader:
        result.manifest = reader.get_active_manifest()
        result.state = reader.get_validation_state()
        failures = ((reader.get_validation_results() or {}).get("activeManifest") or {}).get("failure") or []
    for failure in failures:
        code = failure.get("code", "")
        # Without a trust list an unknown signer is reported, but the signature itself is still checked.
        if code == "signingCredential.untrusted":
            continue
        plain = _PLAIN.get(code, failure.get("explanation") or code)
        result.problems.append(_("Signature check failed: %(reason)s.") % {"reason": plain})
    if result.manifest is None:
        result.problems.append(_("The manifest store has no active manifest."))
    elif result.state not in ("Valid", "Trusted") and not result.problems:
        result.problems.append(_("Signature check failed (%(state)s).") % {"state": result.state})


def read_mark(data: bytes) -> watermark.Reading | None:
    picture = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if picture is None:
        return None
    return watermark.read(picture)


def verify_bytes(data: bytes) -> Verification:
    result = Verification()
    read_manifest(data, result)
    result.mark = read_mark(data)
    return result


def fetch_picture(url: str, *, max_bytes: int) -> bytes:
    """A picture downloaded for checking (a share link's), stopped past `max_bytes`."""
    import requests

    try:
        with requests.get(url, timeout=(5, 30), stream=True) as response:
            response.raise_for_status()
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise ValueError(f"larger than {max_bytes} bytes")
            return bytes(data)
    except requests.RequestException as exc:
        raise ValueError(str(exc)) from exc


def task_for_mark(public_id: str):
    from ..models import FaceSwapTask

    return FaceSwapTask.objects.filter(public_id=public_id).first()
