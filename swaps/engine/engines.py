"""Engine selection: one engine object per process, its models loaded once and reused."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .classic import ClassicDetector, estimate_pose
from .types import EngineError, Face, FaceTooSmallError, FaceTurnedError, NoFaceError, SeveralFacesError

# A person's face must be at least this many pixels across (box side) to be swapped in convincingly.
MIN_SOURCE_FACE_PX = 64
# Beyond this yaw (degrees, estimated from landmarks) the face is too turned for a frontal swap.
MAX_SOURCE_YAW = 35.0
# A second face at least this fraction of the largest one's size makes the choice ambiguous.
SIMILAR_FACE_RATIO = 0.8

_lock = threading.Lock()
_engines: dict[tuple[str, str], Engine] = {}
_model_loads = 0


def model_load_count() -> int:
    """How many times this process has loaded face models (1 after the first get_engine)."""
    return _model_loads


class Engine:
    """The classic, offline engine: dlib detection and landmarks."""

    name = "classic"

    def __init__(self) -> None:
        self.detector = ClassicDetector()

    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces found in an RGB image, largest first."""
        return self.detector.detect(image)

    def source_face(self, image: np.ndarray, *, role: str) -> tuple[Face, list[str]]:
        """The face to take from a person's photo, with notes for them; EngineError if none is usable."""
        faces = self.detect(image)
        photo = f"The {role} photo"
        if not faces:
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
        if face.landmarks is not None and abs(estimate_pose(face.landmarks).yaw) > MAX_SOURCE_YAW:
            raise FaceTurnedError(f"{photo} shows the face from the side; please upload a photo looking at the camera.")
        return face, notes


def get_engine(name: str = "auto", *, insightface_dir: str | Path | None = None) -> Engine:
    """The process-wide engine, created (models loaded) on first use.

    name: "auto" (insightface when its model files are in insightface_dir, else classic), "classic" or
    "insightface".
    """
    global _model_loads
    if name not in ("auto", "classic", "insightface"):
        raise EngineError(f"Unknown face engine {name!r}; use auto, classic or insightface.")
    key = (name, str(insightface_dir or ""))
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = Engine()
            _model_loads += 1
            _engines[key] = engine
        return engine
