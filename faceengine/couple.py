"""A couple swapped into a template: both people's faces found in their photos and put in, any engine."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .base import Engine
from .errors import TemplateFacesError
from .faces import ROLES, Face
from .imageio import as_rgb
from .landmarks import estimate_pose
from .stages import swap_one_face


def swap_couple(
    template: np.ndarray,
    template_faces: Mapping[str, Face],
    husband_photo: np.ndarray,
    wife_photo: np.ndarray,
    *,
    engine: Engine,
    progress: Callable[[str], Any] | None = None,
    source_faces: Mapping[str, Face | None] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Both faces of a couple swapped into a template: (result image, report).

    The result is RGB, or RGBA for an RGBA template: its alpha is kept as it is and the faces are painted
    only where the template is not wholly transparent (the swap itself works on the colours).
    template_faces maps "husband" and "wife" to the template's faces (a face without 68 landmarks is
    drawn art, painted by the drawn-art stage whatever the backend; see stages/). The source faces are
    found with `engine.source_face`, so a photo that cannot be used raises the same plain-language
    EngineError the upload check gives. progress, when given, is called with "detect", "husband" and
    "wife" before each stage. source_faces may give a
    role's face already found in its photo (by an earlier check of the same photo): it is used as it is.
    The report: {"engine", "seconds", "timings": {stage: seconds}, "faces": [{"role", "target_box",
    "source_box", "yaw", "roll", "notes"}, ...]}.
    """
    start = time.perf_counter()
    missing = [role for role in ROLES if template_faces.get(role) is None]
    if missing:
        raise TemplateFacesError(
            f"This template has no {' and no '.join(missing)} face marked; please choose another template."
        )
    timings: dict[str, float] = {}
    if progress:
        progress("detect")
    # A person's photo with transparency counts as on white, as load_image reads it.
    photos = dict(zip(ROLES, (as_rgb(husband_photo), as_rgb(wife_photo)), strict=True))
    sources = {role: _source(engine, photos[role], role, (source_faces or {}).get(role), timings) for role in ROLES}
    alpha = template[..., 3] if template.ndim == 3 and template.shape[2] == 4 else None
    original = np.ascontiguousarray(template[..., :3])
    result = original.copy()
    faces = []
    for role in ROLES:
        if progress:
            progress(role)
        face, notes = sources[role]
        target = template_faces[role]
        swap_one_face(result, target, photos[role], face, engine=engine, template=original, timings=timings)
        pose = face.extra.get("pose")
        faces.append(
            {
                "role": role,
                "target_box": [round(float(v), 1) for v in target.box],
                "source_box": [round(float(v), 1) for v in face.box],
                "yaw": round(float(pose.yaw), 1) if pose else 0.0,
                "roll": round(float(pose.roll), 1) if pose else 0.0,
                "notes": notes,
            }
        )
    if alpha is not None:
        hidden = alpha == 0
        result[hidden] = template[..., :3][hidden]
        result = np.dstack([result, alpha])
    seconds = time.perf_counter() - start
    return result, {
        "engine": engine.name,
        "seconds": round(seconds, 4),
        "timings": {stage: round(value, 4) for stage, value in timings.items()},
        "faces": faces,
    }


def _source(
    engine: Engine, photo: np.ndarray, role: str, known: Face | None, timings: dict[str, float]
) -> tuple[Face, list[str]]:
    """A role's source face: the one already found (with its pose worked out again), or found now."""
    if known is None:
        return engine.source_face(photo, role=role, timings=timings)
    if known.landmarks is not None and "pose" not in known.extra:
        known.extra["pose"] = estimate_pose(known.landmarks)
    return known, []
