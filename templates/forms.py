"""Admin forms for templates: add with a direct picture upload, and change with per-face roles and boxes."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagField

from . import services
from .models import FACE_SOURCES, ROLES, Template, validate_face_positions

# The rows for faces marked by hand in one save: both faces of a drawn couple.
NEW_FACE_PREFIXES = ("new", "new2")
ROLE_WORDS = {"husband": _("Husband"), "wife": _("Wife")}
ROLE_CHOICES = [("", _("— not swapped —")), *((role, ROLE_WORDS.get(role, role.capitalize())) for role in ROLES)]
KPS_HELP = _(
    "Five points x,y separated by spaces: left eye, right eye, nose tip, left mouth corner, right mouth corner."
)
_NUMBER = r"-?\d+(?:\.\d+)?"
_POINT_RE = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})\s*$")


def kps_to_text(kps: list[list[float]] | None) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in kps or [])


def kps_from_text(text: str) -> list[list[float]]:
    """'x,y x,y ...' (or separated by ';') as five points; ValidationError with a plain message otherwise."""
    parts = [part for part in re.split(r"[;\s]+(?=-?\d)", text.strip()) if part.strip()]
    points = []
    for part in parts:
        match = _POINT_RE.match(part)
        if not match:
            raise ValidationError(
                _("“%(part)s” is not a point; write each point as x,y.") % {"part": part} + f" {KPS_HELP}"
            )
        points.append([float(match[1]), float(match[2])])
    if len(points) != 5:
        raise ValidationError(_("Give exactly five points, not %(count)s.") % {"count": len(points)} + f" {KPS_HELP}")
    return points


def formfield_for_template(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class TemplateAddForm(forms.ModelForm):
    """The admin's add form: the picture is uploaded here and becomes the template's `images` row."""

    image_file = forms.FileField(
        label=_("Picture"), help_text=_("JPEG, PNG or WebP. Faces are detected and roles proposed when you save.")
    )
    tags = TagField(required=False, help_text=_("Comma-separated, e.g. anime, wedding, beach."))
    activate = forms.BooleanField(
        required=False, label=_("Activate at once"), help_text=_("Only if the husband and wife faces are both found.")
    )

    class Meta:
        model = Template
        fields = ["title", "category", "artist", "source_url", "description"]
        formfield_callback = formfield_for_template

    def clean_image_file(self) -> Any:
        # Checked here without storing anything (format, size, duplicate); stored by save().
        image_file = self.cleaned_data["image_file"]
        self.picture = services.template_picture_clean(image_file=image_file)
        return image_file

    def _post_clean(self) -> None:
        # The model is validated by template_create, with the picture, in save().
        pass

    def save(self, commit: bool = True) -> Template:
        """Create the template (picture stored, faces detected) and activate it when asked and possible."""
        data = self.cleaned_data
        self.instance = services.template_create(
            picture=self.picture,
            title=data["title"],
            category=data.get("category") or None,
            artist=data.get("artist"),
            source_url=data.get("source_url"),
            description=data.get("description"),
            tags=data.get("tags") or (),
        )
        self.activation_note = ""
        if data.get("activate"):
            problems = self.instance.activation_problems()
            if problems:
                self.activation_note = " ".join(problems)
            else:
                services.template_activate(template=self.instance)
        return self.instance

    def save_m2m(self) -> None:
        pass


class TemplateChangeForm(forms.ModelForm):
    """The admin's change form: the usual fields, the picture's tags, and one row of fields per face.

    Each face has a role, its box (x1, y1, x2, y2 in picture pixels) and its five key points; a face can be
    removed, and one face can be added by hand (the admin page's script fills these fields by drawing).
    """

    tags = TagField(
        required=False, help_text=_("The picture's tags, comma-separated; shown as filters in the gallery.")
    )
    # The column is nullable (seed schema), but a template is either in the gallery or not: a checkbox.
    is_active = forms.BooleanField(
        required=False, help_text=_("Shown in the public gallery; needs one husband face and one wife face.")
    )
    faces_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Template
        fields = ["title", "category", "artist", "source_url", "description", "is_active"]
        formfield_callback = formfield_for_template

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template = self.instance
        self.original_faces = validate_face_positions(template.face_positions) if template.pk else []
        self.fields["tags"].initial = list(template.image.tags.all()) if template.image_id else []
        self.fields["faces_seen"].initial = len(self.original_faces)
        for i, face in enumerate(self.original_faces):
            self._add_face_fields(f"face_{i}", face)
            self.fields[f"face_{i}_delete"] = forms.BooleanField(required=False, label=_("Remove"))
        for prefix in NEW_FACE_PREFIXES:
            self._add_face_fields(prefix, None)

    def _add_face_fields(self, prefix: str, face: dict | None) -> None:
        required = face is not None
        box = face["box"] if face else [None] * 4
        self.fields[f"{prefix}_role"] = forms.ChoiceField(
            choices=ROLE_CHOICES, required=False, initial=(face or {}).get("role") or "", label=_("Role")
        )
        for name, value in zip(("x1", "y1", "x2", "y2"), box, strict=True):
            self.fields[f"{prefix}_{name}"] = forms.FloatField(
                required=required,
                initial=value,
                label=name,
                widget=forms.NumberInput(attrs={"step": "0.1", "class": "face-coord", "data-coord": name}),
            )
        self.fields[f"{prefix}_kps"] = forms.CharField(
            required=required,
            initial=kps_to_text(face["kps"]) if face else "",
            label=_("Key points"),
            help_text=KPS_HELP,
            widget=forms.TextInput(attrs={"class": "face-kps"}),
        )

    def face_rows(self) -> list[dict[str, Any]]:
        """The faces' bound fields, for the change page's table."""
        rows = []
        for i, face in enumerate(self.original_faces):
            rows.append(self._row(f"face_{i}", number=i + 1, face=face))
        return rows

    def overlay(self) -> list[dict[str, Any]]:
        """The saved faces as SVG shapes in picture pixels: numbered boxes and key points (drawn without JS too)."""
        image = self.instance.image
        scale = max(image.width or 0, image.height or 0, 1) / 100 if image else 1
        font = round(max(11.0, 2.2 * scale), 1)
        shapes = []
        for number, face in enumerate(self.original_faces, start=1):
            x1, y1, x2, y2 = face["box"]
            label = f"{number} {face['role']}" if face["role"] else str(number)
            tag_h = round(font * 1.35, 1)
            shapes.append(
                {
                    "number": number,
                    "role": face["role"] or "none",
                    "x": x1,
                    "y": y1,
                    "w": round(x2 - x1, 1),
                    "h": round(y2 - y1, 1),
                    "kps": face["kps"],
                    "dot": round(max(2.0, 0.5 * scale), 1),
                    "font": font,
                    "label": label,
                    "tag_w": round(font * (0.62 * len(label) + 0.8), 1),
                    "tag_h": tag_h,
                    "tag_y": round(max(0.0, y1 - tag_h), 1),
                    "text_x": round(x1 + font * 0.4, 1),
                    "text_y": round(max(0.0, y1 - tag_h) + font * 1.02, 1),
                }
            )
        return shapes

    def new_face_rows(self) -> list[dict[str, Any]]:
        """Empty rows for faces marked by hand: two, so a drawn couple is marked in one go."""
        start = len(self.original_faces) + 1
        return [self._row(prefix, number=start + i, face=None) for i, prefix in enumerate(NEW_FACE_PREFIXES)]

    def _row(self, prefix: str, *, number: int, face: dict | None) -> dict[str, Any]:
        return {
            "prefix": prefix,
            "number": number,
            "face": face,
            "role": self[f"{prefix}_role"],
            "coords": [self[f"{prefix}_{name}"] for name in ("x1", "y1", "x2", "y2")],
            "kps": self[f"{prefix}_kps"],
            "delete": self[f"{prefix}_delete"] if face is not None else None,
        }

    def _face_from_fields(self, prefix: str, original: dict | None) -> dict | None:
        data = self.cleaned_data
        box = [data.get(f"{prefix}_{name}") for name in ("x1", "y1", "x2", "y2")]
        kps_text = (data.get(f"{prefix}_kps") or "").strip()
        if original is None and all(v is None for v in box) and not kps_text:
            return None  # the "add a face" row left empty
        if any(v is None for v in box):
            self.add_error(f"{prefix}_x1", "Give all four box coordinates x1, y1, x2, y2.")
            return None
        try:
            kps = kps_from_text(kps_text)
        except ValidationError as exc:
            self.add_error(f"{prefix}_kps", exc)
            return None
        box = [round(v, 1) for v in box]
        kps = [[round(x, 1), round(y, 1)] for x, y in kps]
        role = data.get(f"{prefix}_role") or None
        if original is not None and box == original["box"] and kps == original["kps"]:
            return original | {"role": role}
        # A moved or hand-marked face: the detector's 68 landmarks no longer describe it.
        return {"box": box, "kps": kps, "landmarks": None, "score": 1.0, "role": role, "source": FACE_SOURCES[1]}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        seen = data.get("faces_seen")
        if seen is not None and seen != len(self.original_faces):
            raise ValidationError(_("The faces changed since this page was opened (detected again?); reload it."))
        faces = []
        for i, original in enumerate(self.original_faces):
            if data.get(f"face_{i}_delete"):
                continue
            face = self._face_from_fields(f"face_{i}", original)
            if face is not None:
                faces.append(face)
        for prefix in NEW_FACE_PREFIXES:
            new_face = self._face_from_fields(prefix, None)
            if new_face is not None:
                faces.append(new_face)
        if self.errors:
            return data
        image = self.instance.image
        try:
            data["faces"] = validate_face_positions(
                faces, width=image.width if image else None, height=image.height if image else None
            )
        except ValidationError as exc:
            self.add_error(None, exc)
            return data
        if data.get("is_active"):
            problems = Template(image=image, face_positions=data["faces"]).activation_problems()
            if problems:
                self.add_error("is_active", ["It cannot be active yet:", *problems])
        return data

    def _post_clean(self) -> None:
        # Fields are applied by the admin through the services; only the plain fields are checked here.
        super()._post_clean()
        self.instance.face_positions = self.original_faces
