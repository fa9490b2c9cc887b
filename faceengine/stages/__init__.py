"""What is done to one face: the backend's swap, then the shared stages, each on every backend's result.

Composed the way FaceFusion composes its processors: one list, run in order, each stage saying which
faces it applies to. The backend swaps photographed faces (its "photo-swap"); the drawn-art stage paints
drawn faces (marked by hand, no landmarks) from the person's photo in the drawing's style, whichever
backend found the person's face, so every backend treats drawn templates the same.

A stage is a small object with a name, `applies(work)` and `run(work)`; `work` (FaceWork) carries the
canvas being painted (changed in place), the template as it was, the target and source faces, the
person's photo and the timings. Adding a stage is a class here (or in its own module) and a place in
STAGES.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..base import Engine
from ..faces import Face
from ..util import Timings, timed
from .drawn import swap_face_acg
from .finish import finish_face


@dataclass
class FaceWork:
    """One face being swapped, as every stage sees it."""

    canvas: np.ndarray  # the result so far (RGB uint8, changed in place)
    template: np.ndarray  # the template as it was (RGB uint8, never changed)
    target: Face  # the template's face, in canvas coordinates
    photo: np.ndarray  # the person's photo (RGB uint8)
    source: Face  # the person's face in photo
    timings: Timings | None = None
    # What a stage leaves for the ones after it (e.g. where it painted).
    notes: dict[str, Any] = field(default_factory=dict)


class Stage:
    """One step after the backend's swap."""

    name: ClassVar[str] = ""

    def applies(self, work: FaceWork) -> bool:
        raise NotImplementedError

    def run(self, work: FaceWork) -> None:
        raise NotImplementedError


class DrawnArt(Stage):
    """A drawn face (no landmarks: marked by hand) gets the person drawn in the drawing's style: its
    palette, ink and own eyes, carrying the person's measurable traits (see drawn/)."""

    name = "drawn"

    def applies(self, work: FaceWork) -> bool:
        return work.target.is_drawn

    def run(self, work: FaceWork) -> None:
        swap_face_acg(work.canvas, work.target, work.photo, work.source, timings=work.timings)


class Finish(Stage):
    """A photographed face made as sharp and as grainy as the template around it (see finish.py)."""

    name = "finish"

    def applies(self, work: FaceWork) -> bool:
        return not work.target.is_drawn

    def run(self, work: FaceWork) -> None:
        with timed(work.timings, "finish"):
            finish_face(work.canvas, work.template, work.target)


STAGES: tuple[Stage, ...] = (DrawnArt(), Finish())


def swap_one_face(
    canvas: np.ndarray,
    target: Face,
    photo: np.ndarray,
    source: Face,
    *,
    engine: Engine,
    template: np.ndarray | None = None,
    timings: Timings | None = None,
    stages: tuple[Stage, ...] = STAGES,
) -> None:
    """One face swapped into canvas in place: the backend's swap for a photographed target face, then
    every stage that applies. template: the picture before any face was swapped (canvas itself when not
    given, copied first)."""
    work = FaceWork(
        canvas=canvas,
        template=canvas.copy() if template is None else template,
        target=target,
        photo=photo,
        source=source,
        timings=timings,
    )
    if not target.is_drawn:
        engine.swap_face(canvas, target, photo, source, timings=timings)
    for stage in stages:
        if stage.applies(work):
            stage.run(work)
