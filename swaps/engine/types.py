"""The engine's small vocabulary: a detected Face and the errors a person can be shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Face:
    """One face in one image, in that image's pixel coordinates.

    kps are the five key points in insightface's order: the eye on the image's left, the eye on the
    image's right, the nose tip, the mouth corner on the left, the mouth corner on the right.
    landmarks are dlib's 68 points where known (photos), None for hand-marked faces in drawn art.
    """

    box: np.ndarray  # float32 [x1, y1, x2, y2]
    kps: np.ndarray  # float32 (5, 2)
    score: float
    landmarks: np.ndarray | None = None  # float32 (68, 2)
    embedding: np.ndarray | None = None  # float32 (n,)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    @property
    def size(self) -> float:
        """The face's side length in pixels (geometric mean of the box sides)."""
        return float(np.sqrt(max(self.width, 0.0) * max(self.height, 0.0)))

    @property
    def center(self) -> tuple[float, float]:
        return float(self.box[0] + self.box[2]) / 2, float(self.box[1] + self.box[3]) / 2

    def to_json(self) -> dict[str, Any]:
        """The face_positions entry shape (without role/source, which belong to the template)."""
        return {
            "box": [round(float(v), 1) for v in self.box],
            "kps": [[round(float(x), 1), round(float(y), 1)] for x, y in self.kps],
            "landmarks": None
            if self.landmarks is None
            else [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks],
            "score": round(float(self.score), 4),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Face:
        landmarks = data.get("landmarks")
        return cls(
            box=np.asarray(data["box"], dtype=np.float32),
            kps=np.asarray(data["kps"], dtype=np.float32).reshape(5, 2),
            score=float(data.get("score") or 0.0),
            landmarks=None if landmarks is None else np.asarray(landmarks, dtype=np.float32).reshape(68, 2),
        )


class EngineError(Exception):
    """A problem with the input that the person can fix; `message` is shown to them as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnreadableImageError(EngineError):
    pass


class NoFaceError(EngineError):
    pass


class SeveralFacesError(EngineError):
    pass


class FaceTurnedError(EngineError):
    pass


class FaceTooSmallError(EngineError):
    pass


class TemplateFacesError(EngineError):
    pass
