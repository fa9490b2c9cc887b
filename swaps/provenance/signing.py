"""Signed provenance on every result: a C2PA manifest embedded in the file (c2pa-python).

The manifest says what any C2PA reader understands: made by this site (the claim generator), an edit of
the template (the template is the parent ingredient, `c2pa.opened`) done by algorithmic media
(`c2pa.edited` with the IPTC digital source type), and when. It carries nothing about the people: no
name, no e-mail, no photo of them, and no thumbnail of the result (the result is the file itself).

The key and certificate chain come from the settings `C2PA_SIGNING_KEY` and `C2PA_CERT_CHAIN` (a PEM
file's path, or the PEM text itself). Without them, and unless `C2PA_REQUIRED` is set (then the system
check stops the site), a throwaway chain made with `cryptography` is kept in `C2PA_DEV_DIR` and shared by
every process of this checkout (`make run`, the tests): a root CA and an end-entity signing certificate,
as C2PA wants (an end-entity certificate must not be self-signed, and needs the digitalSignature key
usage and a C2PA extended key usage).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

SITE_NAME = "Couple Face-Swap"
ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# No thumbnails: the result's would be a second copy of the people's faces inside the file.
_BUILDER_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}
KEY_FILE, CHAIN_FILE, ROOT_FILE = "signing-key.pem", "cert-chain.pem", "trust-anchor.pem"


class ProvenanceNotConfigured(Exception):
    """C2PA_REQUIRED is set and no usable signing key and chain are."""


@dataclass(frozen=True)
class SigningMaterial:
    key_pem: bytes
    chain_pem: bytes
    trust_anchors_pem: bytes | None  # roots a reader trusts (the throwaway root, or C2PA_TRUST_ANCHORS)
    throwaway: bool


def _pem(value: str) -> bytes:
    """A setting holding PEM text, or the path of a PEM file."""
    if "-----BEGIN" in value:
        return value.encode()
    return Path(value).read_bytes()


def signing_material() -> SigningMaterial:
    key, chain = settings.C2PA_SIGNING_KEY, settings.C2PA_CERT_CHAIN
    anchors = settings.C2PA_TRUST_ANCHORS
    if key and chain:
        return SigningMaterial(_pem(key), _pem(chain), _pem(anchors) if anchors else None, throwaway=False)
    if settings.C2PA_REQUIRED:
        raise ProvenanceNotConfigured("C2PA_SIGNING_KEY and C2PA_CERT_CHAIN must be set when C2PA_REQUIRED=True.")
    return throwaway_material(Path(settings.C2PA_DEV_DIR))


def throwaway_material(directory: Path) -> SigningMaterial:
    """The development chain in `directory`, made on first use (written whole, then moved into place, so
    processes starting together end up with one chain)."""
    if not (directory / CHAIN_FILE).exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=directory.parent))
        for name, data in throwaway_chain().items():
            (staging / name).write_bytes(data)
        try:
            staging.rename(directory)
        except OSError:  # another process was first: use its chain
            for item in staging.iterdir():
                item.unlink()
            staging.rmdir()
    return SigningMaterial(
        (directory / KEY_FILE).read_bytes(),
        (directory / CHAIN_FILE).read_bytes(),
        (directory / ROOT_FILE).read_bytes(),
        throwaway=True,
    )


def throwaway_chain(*, days: int = 3650) -> dict[str, bytes]:
    """A root CA and an end-entity signing certificate (P-256, ES256): {file name: PEM}."""
    now = datetime.datetime.now(datetime.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{SITE_NAME} (development only)"),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = name("Throwaway C2PA root")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name(SITE_NAME))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days - 1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return {
        KEY_FILE: key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        CHAIN_FILE: leaf.public_bytes(pem) + root.public_bytes(pem),
        ROOT_FILE: root.public_bytes(pem),
    }


@cache
def _signer_material() -> SigningMaterial:
    return signing_material()


def signer_warm_up() -> None:
    """Read the signing key and chain now (a swap worker does, before it forks its jobs, so each forked
    job does not read them again); a problem with them is left for the job, which fails plainly."""
    with contextlib.suppress(ProvenanceNotConfigured, OSError, ValueError):
        _signer_material()


def signer_check() -> str | None:
    """None when results can be signed with the configured key and chain, else what is wrong."""
    try:
        material = signing_material()
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(settings.C2PA_SIGNING_ALG, material.chain_pem, material.key_pem, None)
        )
        signer.close()
    except ProvenanceNotConfigured as exc:
        return str(exc)
    except (OSError, ValueError, c2pa.C2paError) as exc:
        return f"The C2PA signing key or certificate chain cannot be used: {exc}"
    return None


def sign(data: bytes, stored_format: str, *, template: bytes, template_format: str, template_title: str) -> bytes:
    """`data` (the result, JPEG or PNG) with a signed C2PA manifest embedded."""
    material = _signer_material()
    manifest = {
        "claim_generator_info": [{"name": SITE_NAME, "version": "1"}],
        "title": f"couple-picture{Path('x.' + stored_format.lower()).suffix}",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.edited",
                            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                            "softwareAgent": {"name": SITE_NAME},
                            "digitalSourceType": ALGORITHMIC_MEDIA,
                            "description": "Faces swapped into a couple template",
                        }
                    ]
                },
            }
        ],
    }
    context = c2pa.Context.from_dict(_BUILDER_SETTINGS)
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(settings.C2PA_SIGNING_ALG, material.chain_pem, material.key_pem, None)
    )
    try:
        builder = c2pa.Builder.from_json(json.dumps(manifest), context=context)
        # The template is the parent: the builder's edit intent records `c2pa.opened` on it first.
        builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
        builder.add_ingredient(
            {"title": template_title, "relationship": "parentOf"}, MIME[template_format], io.BytesIO(template)
        )
        out = io.BytesIO()
        builder.sign(signer, MIME[stored_format], io.BytesIO(data), out)
        return out.getvalue()
    finally:
        signer.close()


def reader_context() -> c2pa.Context:
    """Settings for reading: trust our own root (the throwaway one, or C2PA_TRUST_ANCHORS) when known."""
    try:
        material = signing_material()
    except (ProvenanceNotConfigured, OSError):
        material = None
    if material is None or not material.trust_anchors_pem:
        return c2pa.Context.from_dict({})
    return c2pa.Context.from_dict({"trust": {"trust_anchors": material.trust_anchors_pem.decode()}})
