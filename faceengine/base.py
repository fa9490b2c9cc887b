"""What every backend offers (`Engine`), and the policy for taking a person's face from their photo."""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np

from .errors import FaceTooSmallError, FaceTurnedError, NoFaceError, SeveralFacesError
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


def face_quality(face: Face) -> list[str]:
    """What to expect of a swap with this face of a person's photo, as short codes: "small" (under
    SOFT_FACE_PX across: the result will be soft), "turned" (turned more than MAX_SOURCE_YAW to the side,
    by its landmarks)."""
    codes = []
    if face.size < SOFT_FACE_PX:
        codes.append("small")
    if face.landmarks is not None and abs(estimate_pose(face.landmarks).yaw) > MAX_SOURCE_YAW:
        codes.append("turned")
    return codes


def _too_small_picture(image: np.ndarray, photo: str) -> NoFaceError | None:
    """The refusal for a picture too small to hold a usable face (a 1x1 or 50x1 JPEG), else None."""
    height, width = image.shape[:2]
    if min(height, width) >= MIN_SOURCE_FACE_PX:
        return None
    return NoFaceError(
        f"{photo} is only {width}x{height} pixels, too small to show a face; please upload a larger photo."
    )


class Engine:
    """What every backend offers: find faces, pick a person's face from a photo, swap one face.

    fork_safe tells a worker whether it may fork after the models are loaded (see each backend).
    """

    name: ClassVar[str] = ""
    fork_safe: ClassVar[bool] = True
    # dlib's detector and shape predictor keep scratch state in the objects: two threads of one web
    # process running them at once corrupted the heap (segfaults, "60 faces" on a frontal photo). One lock
    # per process around the model calls, not an engine per thread: a check takes ~0.1 s, an engine ~2.5 s
    # and 70-120 MB to load, and dlib gains almost nothing from a second thread on this machine (see
    # /work/notes/issue-11.md for the figures). A worker process runs one job at a time, so it never waits.
    model_lock: ClassVar[threading.Lock] = threading.Lock()

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
        """Put the source face (found in photo) over the target face of canvas, in place."""
        raise NotImplementedError

    def explain_no_face(self, image: np.ndarray) -> bool:
        """Whether a photo without a usable face shows a turned-away face (backends that can tell)."""
        return False

    def warm_up(self) -> None:
        """Pay now the one-time costs a first swap would pay (a worker calls this before it forks)."""

    def source_face(self, image: np.ndarray, *, role: str, timings: Timings | None = None) -> tuple[Face, list[str]]:
        """The face to take from a person's photo, with notes for them; EngineError if none is usable.

        The largest face is used; a second face of similar size, a face smaller than
        MIN_SOURCE_FACE_PX or turned more than MAX_SOURCE_YAW are refused with a plain message.
        """
        photo = f"The {role} photo"
        refusal = _too_small_picture(image, photo)
        if refusal is not None:
            raise refusal
        with self.model_lock:
            faces = self.detect_person(image, timings=timings)
        if not faces:
            with self.model_lock:
                turned = self.explain_no_face(image)
            if turned:
                raise FaceTurnedError(
                    f"{photo} shows the face turned away or partly hidden; "
                    "please upload a photo looking straight at the camera."
                )
            raise NoFaceError(f"{photo} shows no face we can find; please upload a clear photo of the face.")
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
        if face.size < MIN_SOURCE_FACE_PX:
            raise FaceTooSmallError(
                f"The face in the {role} photo is too small ({face.size:.0f} pixels across); "
                "please upload a closer or larger photo."
            )
        if face.size < SOFT_FACE_PX:
            notes.append(
                f"The face in the {role} photo is small ({face.size:.0f} pixels across); the result will be soft."
            )
        if face.landmarks is not None:
            pose = estimate_pose(face.landmarks)
            face.extra["pose"] = pose
            if abs(pose.yaw) > MAX_SOURCE_YAW:
                raise FaceTurnedError(
                    f"{photo} shows the face from the side; please upload a photo looking at the camera."
                )
        return face, notes

    def person_faces(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        """Every face of a person's photo that can be swapped, largest first; EngineError if none can.

        Unlike source_face, several people are fine (a photo of the couple, a group): the person picks
        which face is theirs. Every face found is counted; faces smaller than MIN_SOURCE_FACE_PX are left
        out, small and turned ones stay (face_quality says what to expect of each). The refusal, when no
        face is left or every one is turned too far, names the reason.
        """
        refusal = _too_small_picture(image, "This photo")
        if refusal is not None:
            raise refusal
        # dlib's detector and shape predictor may not be used by two threads at once (see model_lock).
        with self.model_lock:
            faces = self.detect_person(image, timings=timings)
        if not faces:
            with self.model_lock:
                turned = self.explain_no_face(image)
            if turned:
                raise FaceTurnedError(
                    "This photo shows the face turned away or partly hidden; "
                    "please upload a photo looking straight at the camera."
                )
            raise NoFaceError("This photo shows no face we can find; please upload a clear photo of the face.")
        usable = [face for face in faces if face.size >= MIN_SOURCE_FACE_PX]
        if not usable:
            raise FaceTooSmallError(
                f"The face in this photo is too small ({faces[0].size:.0f} pixels across); "
                "please upload a closer or larger photo."
            )
        if all("turned" in face_quality(face) for face in usable):
            raise FaceTurnedError(
                "This photo shows the face from the side; please upload a photo looking at the camera."
            )
        return usable
