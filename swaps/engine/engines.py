"""Engine selection: one engine object per process, its models loaded once and reused.

`get_engine` is the only place that loads models; `model_load_count()` counts those loads, so a worker
can show that a second job did not load them again. Nothing is loaded at import time.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np

# SIMILAR_FACE_RATIO: a second face at least this fraction of the largest one's size makes the choice ambiguous.
from .classic import SIMILAR_FACE_RATIO, ClassicDetector, estimate_pose
from .types import EngineError, Face, FaceTooSmallError, FaceTurnedError, NoFaceError, SeveralFacesError

# A person's face must be at least this many pixels across (box side) to be swapped in convincingly:
# dlib's HOG window is 80 px, below it the landmarks wander and the face comes out blurred when
# enlarged onto a template face.
MIN_SOURCE_FACE_PX = 80
# Beyond this yaw (degrees, estimated from landmarks) the face is too turned for a frontal swap.
MAX_SOURCE_YAW = 35.0

ENGINE_NAMES = ("auto", "classic", "insightface")

_lock = threading.Lock()
_engines: dict[tuple[str, str], Engine] = {}
logger = logging.getLogger("swaps.engine")

_model_loads = 0


def model_load_count() -> int:
    """How many times this process has loaded face models (1 after the first get_engine)."""
    return _model_loads


class Engine:
    """What every backend offers: find faces, pick a person's face from a photo, swap one face.

    fork_safe tells a worker whether it may fork after the models are loaded (see each backend).
    """

    name: ClassVar[str] = ""
    fork_safe: ClassVar[bool] = True

    def detect(self, image: np.ndarray, *, timings: dict[str, float] | None = None) -> list[Face]:
        """All faces found in an RGB image, largest first."""
        raise NotImplementedError

    def detect_person(self, image: np.ndarray, *, timings: dict[str, float] | None = None) -> list[Face]:
        """The faces of a person's photo (a backend may search it faster than a template)."""
        return self.detect(image, timings=timings)

    def swap_face(
        self,
        canvas: np.ndarray,
        target: Face,
        photo: np.ndarray,
        source: Face,
        *,
        timings: dict[str, float] | None = None,
    ) -> None:
        """Put the source face (found in photo) over the target face of canvas, in place."""
        raise NotImplementedError

    def explain_no_face(self, image: np.ndarray) -> bool:
        """Whether a photo without a usable face shows a turned-away face (backends that can tell)."""
        return False

    def warm_up(self) -> None:
        """Pay now the one-time costs a first swap would pay (a worker calls this before it forks)."""

    def source_face(
        self, image: np.ndarray, *, role: str, timings: dict[str, float] | None = None
    ) -> tuple[Face, list[str]]:
        """The face to take from a person's photo, with notes for them; EngineError if none is usable.

        The largest face is used; a second face of similar size, a face smaller than
        MIN_SOURCE_FACE_PX or turned more than MAX_SOURCE_YAW are refused with a plain message.
        """
        faces = self.detect_person(image, timings=timings)
        photo = f"The {role} photo"
        if not faces:
            if self.explain_no_face(image):
                raise FaceTurnedError(
                    f"{photo} shows the face turned away or partly hidden; "
                    "please upload a photo looking straight at the camera."
                )
            raise NoFaceError(f"{photo} shows no face we can find; please upload a clear photo of the face.")
        notes = []
        face = faces[0]
        if len(faces) > 1:
            if faces[1].size >= SIMILAR_FACE_RATIO * face.size:
                raise SeveralFacesError(
                    f"{photo} shows {len(faces)} faces of similar size; please upload a photo of the {role} alone."
                )
            notes.append(f"{photo} shows {len(faces)} faces; the largest one is used.")
        if face.size < MIN_SOURCE_FACE_PX:
            raise FaceTooSmallError(
                f"The face in the {role} photo is too small ({face.size:.0f} pixels across); "
                "please upload a closer or larger photo."
            )
        if face.landmarks is not None:
            pose = estimate_pose(face.landmarks)
            face.extra["pose"] = pose
            if abs(pose.yaw) > MAX_SOURCE_YAW:
                raise FaceTurnedError(
                    f"{photo} shows the face from the side; please upload a photo looking at the camera."
                )
        return face, notes


class ClassicEngine(Engine):
    """The offline engine: dlib HOG detection, 68 landmarks, landmark-aligned swap (see swap.py).

    Fork-safe after loading: dlib's models are plain memory and start no threads, so a worker may load
    them once and then fork a child per job.
    """

    name = "classic"
    fork_safe = True

    def __init__(self) -> None:
        self.detector = ClassicDetector()

    def detect(self, image: np.ndarray, *, timings: dict[str, float] | None = None) -> list[Face]:
        return self.detector.detect(image, timings=timings)

    def warm_up(self) -> None:
        """The first swap in a process spends about 0.55 s on imports (scipy's Delaunay, 0.4 s) and on
        OpenCV's CIELAB tables (0.1 s). Done here on a 4x4 image, it starts none of OpenCV's threads, so a
        worker can still fork after it, and every forked job starts warm."""
        import cv2
        from scipy.spatial import Delaunay  # noqa: F401

        from . import acg, swap  # noqa: F401

        lab = cv2.cvtColor(np.zeros((4, 4, 3), dtype=np.float32), cv2.COLOR_RGB2LAB)
        cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)

    def detect_person(self, image: np.ndarray, *, timings: dict[str, float] | None = None) -> list[Face]:
        return self.detector.detect_person(image, timings=timings)

    def explain_no_face(self, image: np.ndarray) -> bool:
        return self.detector.any_face(image)

    def swap_face(
        self,
        canvas: np.ndarray,
        target: Face,
        photo: np.ndarray,
        source: Face,
        *,
        timings: dict[str, float] | None = None,
    ) -> None:
        from .acg import swap_face_acg
        from .swap import swap_face_classic

        if target.landmarks is None or source.landmarks is None:
            swap_face_acg(canvas, target, photo, source, timings=timings)
        else:
            swap_face_classic(canvas, target, photo, source, timings=timings)


def resolve_engine_name(name: str, insightface_dir: str | Path | None) -> str:
    """ "auto" becomes "insightface" when its model files are in insightface_dir, else "classic"."""
    if name not in ENGINE_NAMES:
        raise EngineError(f"Unknown face engine {name!r}; use auto, classic or insightface.")
    if name != "auto":
        return name
    if not insightface_dir:
        return "classic"
    from .insightface_backend import find_models

    return "insightface" if find_models(insightface_dir).complete else "classic"


def get_engine(name: str = "auto", *, insightface_dir: str | Path | None = None) -> Engine:
    """The process-wide engine, created (models loaded) on first use.

    name: "auto" (insightface when its model files are in insightface_dir, else classic), "classic" or
    "insightface".
    """
    global _model_loads
    resolved = resolve_engine_name(name, insightface_dir)
    key = (resolved, str(insightface_dir or "") if resolved == "insightface" else "")
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            if resolved == "insightface":
                from .insightface_backend import InsightFaceEngine

                engine = InsightFaceEngine(insightface_dir)
            else:
                engine = ClassicEngine()
            _model_loads += 1
            _engines[key] = engine
            logger.info("Face models loaded (%s engine) by pid %d", engine.name, os.getpid())
        return engine
