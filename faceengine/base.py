"""What every backend offers (`Engine`), what it declares about itself, and the one policy for taking a
person's face from their photo."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from .errors import EngineError, FaceTooSmallError, FaceTurnedError, NoFaceError, SeveralFacesError
from .faces import Face
from .landmarks import estimate_pose
from .util import Timings

# A person's face must be at least this many pixels across (box side) to be swapped at all: faces of
# 40 px are taken, and a detector's box measures a face to about 20 % either way (HOG's boxes come in
# steps of 6/5). Below SOFT_FACE_PX it is used, but the person is told the result will be soft (the face
# is enlarged onto the template face, and its landmarks wander more).
MIN_SOURCE_FACE_PX = 30
SOFT_FACE_PX = 80
# Beyond this yaw (degrees, estimated from landmarks) the face is too turned for a frontal swap.
MAX_SOURCE_YAW = 35.0
# A second face at least this fraction of the largest one's size makes a person's photo ambiguous.
SIMILAR_FACE_RATIO = 0.8

# What a backend can declare it does (Engine.capabilities), for operators and for callers that choose.
CAPABILITIES = {
    "photo-swap": "swaps a photographed face (68 landmarks) into a photographed template face",
    "thorough-detect": "has a slower, more thorough template pass (small and tilted faces)",
    "sideways": "finds the face of a photo lying on its side",
    "explain-no-face": "tells a face turned away from a photo without a face",
    "identity-embedding": "computes an identity embedding of each source face",
}


@dataclass(frozen=True)
class EngineConfig:
    """What an operator configures for the backends. faceengine reads no settings: the site reads its
    own and passes this in (see registry.get_engine).

    model_dir: a folder of operator-installed model files (insightface's); providers: the ONNX execution
    providers asked for, best first ("auto": the best this onnxruntime has; see providers.py).
    """

    model_dir: Path | None = None
    providers: tuple[str, ...] = ("auto",)


@dataclass
class ModelFile:
    """One model file a backend uses, with its licence terms (nothing is loaded)."""

    path: Path
    role: str
    terms: str
    commercial_use: bool

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()


def face_quality(face: Face) -> list[str]:
    """What to expect of a swap with this face of a person's photo, as short codes: "small" (under
    SOFT_FACE_PX across: the result will be soft), "turned" (turned more than MAX_SOURCE_YAW to the side,
    by its landmarks)."""
    codes = []
    if face.size < SOFT_FACE_PX:
        codes.append("small")
    if face.extra.get("side_on") or (
        face.landmarks is not None and abs(estimate_pose(face.landmarks).yaw) > MAX_SOURCE_YAW
    ):
        codes.append("turned")
    return codes


class Engine:
    """What every backend offers: find faces, pick a person's face from a photo, swap one face.

    A backend declares, as class attributes: its name (the registry's key), a one-line licence summary,
    its capabilities (keys of CAPABILITIES), and whether a worker may fork after its models are loaded;
    `model_files(config)` names the files it would use and `available(config)` says whether they are
    there. `providers` is the ONNX execution providers an instance runs on (empty: no ONNX models).

    Drawn-art faces (no landmarks) are never given to a backend's swap_face: the shared drawn-art stage
    paints them (see stages/), so every backend treats drawn templates the same.
    """

    name: ClassVar[str] = ""
    licence: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()
    fork_safe: ClassVar[bool] = True

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.providers: tuple[str, ...] = ()
        # dlib's detector and shape predictor keep scratch state in their objects: two threads of one web
        # process running them at once corrupted the heap (segfaults, "60 faces" on a frontal photo). So
        # each engine's native models are guarded by its own lock rather than an engine per thread: a
        # check takes ~0.1 s, an engine ~2.5 s and 70-120 MB to load, and dlib gains almost nothing from a
        # second thread on a 2-core machine. A worker runs one job at a time, so it never waits; two
        # engines (two backends, or a test's) never wait for each other.
        self.model_lock = threading.Lock()

    @classmethod
    def model_files(cls, config: EngineConfig) -> list[ModelFile]:
        """The model files this backend would use under config (nothing is loaded)."""
        return []

    @classmethod
    def cache_key(cls, config: EngineConfig) -> Hashable:
        """What of config this backend's loaded models depend on: one engine per process and key."""
        return ()

    @classmethod
    def available(cls, config: EngineConfig) -> bool:
        """Whether this backend can be loaded under config (its model files are there); "auto" picks
        the first available backend of the registry."""
        return all(file.path.is_file() for file in cls.model_files(config))

    def detect(self, image: np.ndarray, *, thorough: bool = False, timings: Timings | None = None) -> list[Face]:
        """All faces found in an RGB image, largest first.

        thorough: the most thorough search the backend has (small and tilted faces; slower), for pictures
        whose faces are found once and stored, such as templates."""
        raise NotImplementedError

    def detect_person(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        """The faces of a person's photo (a backend may search it faster than a template)."""
        return self.detect(image, timings=timings)

    def swap_face(
        self,
        canvas: np.ndarray,
        target: Face,
        photo: np.ndarray,
        source: Face,
        *,
        timings: Timings | None = None,
    ) -> None:
        """Put the source face (found in photo) over the photographed target face of canvas, in place."""
        raise NotImplementedError

    def explain_no_face(self, image: np.ndarray) -> bool:
        """Whether a photo without a usable face shows a turned-away face (backends that can tell)."""
        return False

    def warm_up(self) -> None:
        """Pay now the one-time costs a first swap would pay (a worker calls this before it forks)."""

    def prepare_source(self, image: np.ndarray, face: Face, *, timings: Timings | None = None) -> None:
        """Whatever the backend's swap needs of a source face beyond detection (an embedding), stored on
        the face; called once per chosen source face."""

    def source_face(self, image: np.ndarray, *, role: str, timings: Timings | None = None) -> tuple[Face, list[str]]:
        """The face to take from a person's photo, with notes for them; EngineError if none is usable.

        The largest face is used; a second face of similar size, a face smaller than
        MIN_SOURCE_FACE_PX or turned more than MAX_SOURCE_YAW are refused with a plain message.
        """
        photo = f"The {role} photo"
        faces = self._faces_of_photo(image, photo, timings)
        notes = []
        face = faces[0]
        if face.extra.get("quarter_turns"):
            notes.append(f"{photo} lies on its side or upside down; its face was found turned upright.")
        if len(faces) > 1:
            if faces[1].size >= SIMILAR_FACE_RATIO * face.size:
                raise SeveralFacesError(
                    f"{photo} shows {len(faces)} faces of similar size; please upload a photo of the {role} alone."
                )
            notes.append(f"{photo} shows {len(faces)} faces; the largest one is used.")
        problem = _unusable(face, photo, f"The face in the {role} photo")
        if problem is not None:
            raise problem
        if face.size < SOFT_FACE_PX:
            notes.append(
                f"The face in the {role} photo is small ({face.size:.0f} pixels across); the result will be soft."
            )
        self.prepare_source(image, face, timings=timings)
        return face, notes

    def person_faces(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        """Every face of a person's photo that can be swapped, largest first; EngineError if none can.

        Unlike source_face, several people are fine (a photo of the couple, a group): the person picks
        which face is theirs. Every face found is counted: faces smaller than MIN_SOURCE_FACE_PX are left
        out, small and turned ones stay (face_quality says what to expect of each). The refusal, when no
        face is left or every one is turned too far, names the reason of the largest face.
        """
        photo = "This photo"
        faces = self._faces_of_photo(image, photo, timings)
        problems = [_unusable(face, photo, "The face in this photo") for face in faces]
        usable = [
            face for face, problem in zip(faces, problems, strict=True) if not isinstance(problem, FaceTooSmallError)
        ]
        if not usable or all(problem is not None for problem in problems):
            raise problems[0]
        return usable

    def _faces_of_photo(self, image: np.ndarray, photo: str, timings: Timings | None) -> list[Face]:
        """The faces of a person's photo with their pose worked out; NoFaceError or FaceTurnedError (a
        face the backend can tell is turned away) when there is none. photo names it in the message."""
        height, width = image.shape[:2]
        if min(height, width) < MIN_SOURCE_FACE_PX:  # a 1x1 or 50x1 picture
            raise NoFaceError(
                f"{photo} is only {width}x{height} pixels, too small to show a face; please upload a larger photo."
            )
        with self.model_lock:
            faces = self.detect_person(image, timings=timings)
            turned = not faces and self.explain_no_face(image)
        if turned:
            raise FaceTurnedError(
                f"{photo} shows the face turned away or partly hidden; "
                "please upload a photo looking straight at the camera."
            )
        if not faces:
            raise NoFaceError(f"{photo} shows no face we can find; please upload a clear photo of the face.")
        for face in faces:
            if face.landmarks is not None:
                face.extra["pose"] = estimate_pose(face.landmarks)
        return faces


def _unusable(face: Face, photo: str, the_face: str) -> EngineError | None:
    """Why a person's face cannot be swapped (too small, turned to the side), or None when it can."""
    if face.size < MIN_SOURCE_FACE_PX:
        return FaceTooSmallError(
            f"{the_face} is too small ({face.size:.0f} pixels across); please upload a closer or larger photo."
        )
    pose = face.extra.get("pose")
    # side_on: the detector saw a profile the landmarks' pose underrates.
    if face.extra.get("side_on") or (pose is not None and abs(pose.yaw) > MAX_SOURCE_YAW):
        return FaceTurnedError(f"{photo} shows the face from the side; please upload a photo looking at the camera.")
    return None
