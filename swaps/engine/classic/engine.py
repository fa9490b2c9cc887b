"""The offline engine: dlib HOG detection, 68 landmarks, the classic swap for photos and ACG for art."""

from __future__ import annotations

import cv2
import numpy as np

from ..base import Engine
from ..faces import Face
from ..util import Timings
from .acg import swap_face_acg
from .detector import ClassicDetector
from .pipeline import DEFAULT_METHOD, METHODS, swap_face_classic


class ClassicEngine(Engine):
    """dlib HOG detection, 68 landmarks, landmark-aligned swap (see pipeline.py); drawn-art faces (no
    landmarks) go through acg.py.

    method: the photo swap's geometry, "local" or "align" (see pipeline.METHODS).
    Fork-safe after loading: dlib's models are plain memory and start no threads, so a worker may load
    them once and then fork a child per job.
    """

    name = "classic"
    fork_safe = True

    def __init__(self, *, method: str = DEFAULT_METHOD, detector: ClassicDetector | None = None) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown swap method {method!r}; use {' or '.join(METHODS)}")
        self.method = method
        self.detector = detector or ClassicDetector()

    def with_method(self, method: str) -> ClassicEngine:
        """The same engine (sharing its loaded models) with another swap method."""
        return ClassicEngine(method=method, detector=self.detector)

    def detect(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        return self.detector.detect(image, timings=timings)

    def detect_person(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        return self.detector.detect_person(image, timings=timings)

    def explain_no_face(self, image: np.ndarray) -> bool:
        return self.detector.any_face(image)

    def warm_up(self) -> None:
        """The first swap in a process spends about 0.55 s on imports (scipy's Delaunay, 0.4 s) and on
        OpenCV's CIELAB tables (0.1 s). Done here on a 4x4 image, it starts none of OpenCV's threads, so a
        worker can still fork after it, and every forked job starts warm."""
        # The one import a swap would otherwise pay on its first bend (see align.piecewise_warp).
        from scipy.spatial import Delaunay  # noqa: F401

        lab = cv2.cvtColor(np.zeros((4, 4, 3), dtype=np.float32), cv2.COLOR_RGB2LAB)
        cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)

    def swap_face(
        self,
        canvas: np.ndarray,
        target: Face,
        photo: np.ndarray,
        source: Face,
        *,
        timings: Timings | None = None,
    ) -> None:
        if target.landmarks is None or source.landmarks is None:
            swap_face_acg(canvas, target, photo, source, timings=timings)
        else:
            swap_face_classic(canvas, target, photo, source, method=self.method, timings=timings)
