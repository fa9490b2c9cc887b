"""A detected face, its JSON shape (the one validator and converter), and the couple's roles.

The JSON shape of one face, in its picture's pixel coordinates (origin top-left)::

    {
      "box": [x1, y1, x2, y2],            # x1 < x2 and y1 < y2
      "kps": [[x, y], ...],               # 5 key points, insightface order: left eye, right eye, nose tip,
                                          #   left mouth corner, right mouth corner (left = image left)
      "landmarks": [[x, y], ...] | null,  # dlib's 68 points for detected photo faces, null when marked by hand
      "score": 0.97                       # detector confidence (1.0 for a face marked by hand)
    }

Coordinates are kept to 0.1 pixel and the score to 4 decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The two people of a couple, in the order they are swapped and reported.
ROLES = ("husband", "wife")
FACE_KEYS = ("box", "kps", "landmarks", "score")
KPS_COUNT = 5
LANDMARK_COUNT = 68


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
    def is_drawn(self) -> bool:
        """A face marked by hand on drawn art (no landmarks): the drawn-art stage paints it."""
        return self.landmarks is None

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

    def to_json(self) -> dict[str, Any]:
        """The face's JSON shape (see the module docstring)."""
        return {
            "box": [round(float(v), 1) for v in self.box],
            "kps": _rounded(self.kps),
            "landmarks": None if self.landmarks is None else _rounded(self.landmarks),
            "score": round(float(self.score), 4),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Face:
        """A Face from its JSON shape (checked beforehand with face_json_problems)."""
        landmarks = data.get("landmarks")
        return cls(
            box=np.asarray(data["box"], dtype=np.float32),
            kps=np.asarray(data["kps"], dtype=np.float32).reshape(KPS_COUNT, 2),
            score=float(data.get("score") or 0.0),
            landmarks=None if landmarks is None else np.asarray(landmarks, dtype=np.float32).reshape(LANDMARK_COUNT, 2),
        )


def _rounded(points: Any) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]


def _is_number(value: Any) -> bool:
    # bool is an int subclass, and NaN/inf would poison every later computation on the face.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _points(value: Any, count: int) -> list[list[float]] | None:
    """The value as `count` [x, y] pairs of finite numbers, rounded, or None if it is not that shape."""
    if not isinstance(value, list) or len(value) != count:
        return None
    if not all(isinstance(p, list | tuple) and len(p) == 2 and all(_is_number(v) for v in p) for p in value):
        return None
    return _rounded(value)


def face_json_problems(
    data: Any,
    *,
    label: str = "The face",
    width: int | None = None,
    height: int | None = None,
    extra_keys: tuple[str, ...] = (),
) -> tuple[dict[str, Any] | None, list[str]]:
    """One face's JSON checked and normalised: (entry, []) or (None, the reasons it cannot be used).

    label starts each message ("Face 2"); width/height (the picture's size), when given, also keep the box
    and key points inside it; extra_keys are keys the caller checks itself (they are not copied).
    """
    if not isinstance(data, dict):
        return None, [f"{label} must be an object with box and kps, not {type(data).__name__}."]
    problems = []
    allowed = FACE_KEYS + extra_keys
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        problems.append(f"{label} has unknown keys {', '.join(unknown)}; allowed: {', '.join(allowed)}.")
    box = data.get("box")
    if not (isinstance(box, list) and len(box) == 4 and all(_is_number(v) for v in box)):
        problems.append(f"{label}: box must be four numbers [x1, y1, x2, y2].")
        box = None
    else:
        box = [round(float(v), 1) for v in box]
        if not (box[0] < box[2] and box[1] < box[3]):
            problems.append(f"{label}: box must have x1 < x2 and y1 < y2 (the top-left corner first).")
        elif width and height and (box[0] < -1 or box[1] < -1 or box[2] > width + 1 or box[3] > height + 1):
            problems.append(f"{label}: box {box} reaches outside the {width}x{height} picture.")
    kps = _points(data.get("kps"), KPS_COUNT)
    if kps is None:
        problems.append(
            f"{label}: kps must be five [x, y] points (left eye, right eye, nose tip, left and right mouth corner)."
        )
    elif width and height and any(not (-1 <= x <= width + 1 and -1 <= y <= height + 1) for x, y in kps):
        problems.append(f"{label}: a key point lies outside the {width}x{height} picture.")
    landmarks = data.get("landmarks")
    if landmarks is not None:
        landmarks = _points(landmarks, LANDMARK_COUNT)
        if landmarks is None:
            problems.append(f"{label}: landmarks must be 68 [x, y] points, or null for a face marked by hand.")
    score = data.get("score", 1.0)
    if not _is_number(score):
        problems.append(f"{label}: score must be a number.")
    if problems:
        return None, problems
    return {"box": box, "kps": kps, "landmarks": landmarks, "score": round(float(score), 4)}, []
