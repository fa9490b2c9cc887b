"""Face finding with dlib: its HOG detector, confirmed by its CNN where HOG is unsure, and 68-point
landmarks; for a person's photo, MediaPipe's BlazeFace tells where even small faces may be (see
blazeface.py). The classic backend detects with it; any backend may take its landmarks (insightface's
boxes get them), and the drawn-art and photo stages read them.

Model files come from the face-recognition-models and mediapipe packages (installed from PyPI, nothing
downloaded). dlib objects hold plain memory and no thread pools, and LiteRT runs BlazeFace on one
thread, so both are safe to load before a worker forks.
"""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np

from ..base import ModelFile
from ..faces import Face
from ..landmarks import kps_from_landmarks
from ..util import Timings, area_shrink, iou, shrunk_size
from .blazeface import BlazeFace, Proposal, model_path

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
# A person's photo: BlazeFace proposes where faces may be, down to PERSON_MIN_FACE_PX across however
# large the picture (a couple at arm's length or across a table in a 12-MP photo); each proposal is then
# judged on a crop of it scaled so the face is VERIFY_FACE_PX across (grown by VERIFY_MARGIN of its size
# on each side), by HOG and, where HOG is unsure, by dlib's CNN, under the same
# rules as a template's candidates. Faces smaller than BACKGROUND_RATIO of the largest are passers-by
# and not looked for.
PERSON_MIN_FACE_PX = 40
VERIFY_FACE_PX = 90
VERIFY_MARGIN = 0.5
BACKGROUND_RATIO = 0.25
# At most this many proposals are judged per picture, best first (HOG on a crop: a few ms each), none
# smaller than SMALLEST_PROPOSAL of PERSON_MIN_FACE_PX (its face would be refused as too small).
MAX_PROPOSALS = 24
SMALLEST_PROPOSAL = 0.75
# A profile by BlazeFace's key points (see seen_from_the_side): the shared photos' faces, a three-quarter
# view included, have the nose within 0.81 of the ears' distance from their midpoint; the man in profile
# behind a camera at 1.98.
SIDE_ON_NOSE = 1.0
# Sideways photos and turned-away faces are looked for on a copy this large.
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
DLIB_CNN_TERMS = (
    "dlib's CNN face detector from face-recognition-models (CC0); confirms unsure faces, explains a missing one."
)
BLAZEFACE_TERMS = "MediaPipe's BlazeFace (short range), inside the mediapipe wheel (Apache-2.0)."


def landmark_model_file() -> ModelFile:
    """The 68-point landmark model, with its terms."""
    return ModelFile(Path(model_paths()["landmarks"]), "68-point landmarks", DLIB_68_TERMS, False)


def detector_model_files() -> list[ModelFile]:
    """Every model file ClassicDetector loads, with its terms."""
    cnn = ModelFile(Path(model_paths()["cnn_detector"]), "face detector (any pose)", DLIB_CNN_TERMS, True)
    blazeface = ModelFile(model_path(), "face proposals in a person's photo", BLAZEFACE_TERMS, True)
    return [landmark_model_file(), cnn, blazeface]


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


def too_small(image: np.ndarray) -> bool:
    """Whether a picture is too small to show any face (dlib also refuses some one-pixel-high arrays)."""
    return min(image.shape[:2]) < MIN_DETECTED_FACE_PX


class ClassicDetector:
    """dlib HOG detection, confirmed by dlib's CNN where HOG is unsure, plus 68 landmarks; BlazeFace's
    proposals for a person's photo; loaded once per process."""

    def __init__(self) -> None:
        paths = model_paths()
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(paths["landmarks"])
        # dlib's CNN (MMOD) detector finds faces at any pose; loading it takes milliseconds.
        self.cnn_detector = dlib.cnn_face_detection_model_v1(paths["cnn_detector"])
        self.proposer = BlazeFace()
        # The last picture's quick view (weakly): a faceless photo needs it twice, for detect_sideways
        # and for any_face.
        self._quick: tuple[weakref.ref, View] | None = None

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
        if too_small(image):
            return []
        scale = min(1.0, max_side / max(image.shape[:2]))
        if thorough:
            views = [scaled_view(image, scale * HOG_WINDOW_PX / THOROUGH_FACE_PX)]
            turned = scaled_view(image, scale * HOG_WINDOW_PX / THOROUGH_TURNED_FACE_PX)
            views += [turned_view(turned, angle) for angle in THOROUGH_ANGLES]
        else:
            views = [scaled_view(image, scale)]
        return self._faces(image, self._candidates(views), start=start, timings=timings)

    def _faces(
        self, image: np.ndarray, candidates: list[Candidate], *, start: float, timings: Timings | None
    ) -> list[Face]:
        """The candidates that are faces, as Faces, largest first."""
        candidates = [c for c in candidates if c.score >= CANDIDATE_SCORE]
        sure = [c for c in candidates if c.score >= CONFIDENT_SCORE]
        unsure = [c for c in candidates if c.score < CONFIDENT_SCORE]
        sure += [c for c in unsure[:MAX_CONFIRMATIONS] if self.cnn_confirms(c.view.image, c.box)]
        found = time.perf_counter()
        faces = [self._face(image, candidate) for candidate in sure]
        faces.sort(key=lambda face: face.size, reverse=True)
        _add_timings(timings, start, found)
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
        """The faces of a person's photo, largest first: every face from PERSON_MIN_FACE_PX across, in
        a picture of any size, except passers-by (smaller than BACKGROUND_RATIO of the largest).

        BlazeFace proposes, coarse levels (large faces) first; a finer level is searched only while it
        could still hold a face that is no passer-by. A photo without an upright face is tried turned by
        90, 180 and 270 degrees (a phone photo that lost its orientation tag).
        """
        if too_small(image):
            return []
        faces = self._person_faces(image, timings)
        return faces or self.detect_sideways(image, timings=timings)

    def _person_faces(self, image: np.ndarray, timings: Timings | None) -> list[Face]:
        start = time.perf_counter()
        judged = 0
        confirmations = [MAX_CONFIRMATIONS]
        boxes: list[tuple[np.ndarray, float, str | None]] = []
        side_on: list[bool] = []
        for level in self.proposer.levels(image, min_face=PERSON_MIN_FACE_PX):
            largest = max((_side(box) for box, _, _ in boxes), default=0.0)
            if level.min_face * 4 < BACKGROUND_RATIO * largest:
                break  # every face this level could add would be a passer-by
            for proposal in level.proposals:
                if judged >= MAX_PROPOSALS:
                    break
                if proposal.size < max(SMALLEST_PROPOSAL * PERSON_MIN_FACE_PX, BACKGROUND_RATIO * largest):
                    continue
                if any(iou(proposal.box, box) >= SAME_FACE_IOU for box, _, _ in boxes):
                    continue
                judged += 1
                verdict = self._judge(image, proposal, confirmations)
                # The same face proposed twice (at two levels, or a loose box) is taken once.
                if verdict is not None and all(iou(verdict[0], box) < SAME_FACE_IOU for box, _, _ in boxes):
                    boxes.append(verdict)
                    side_on.append(seen_from_the_side(proposal))
        found = time.perf_counter()
        largest = max((_side(box) for box, _, _ in boxes), default=0.0)
        faces = []
        for (box, score, confirmed_by), side in zip(boxes, side_on, strict=True):
            if _side(box) < BACKGROUND_RATIO * largest:
                continue
            face = Face(box=box, kps=np.zeros((5, 2), np.float32), score=score)
            face.landmarks = self.landmarks(image, box)
            face.kps = kps_from_landmarks(face.landmarks)
            if confirmed_by:
                face.extra["confirmed_by"] = confirmed_by
            if side:
                face.extra["side_on"] = True
            faces.append(face)
        faces.sort(key=lambda face: face.size, reverse=True)
        _add_timings(timings, start, found)
        return faces

    def _judge(
        self, image: np.ndarray, proposal: Proposal, confirmations: list[int]
    ) -> tuple[np.ndarray, float, str | None] | None:
        """(box, score, "cnn" when the CNN decided) of the face at a proposal, or None if it is none.

        HOG looks at the proposal's crop at its best size: a sure score makes it a face, an unsure one
        (from CANDIDATE_SCORE) is a face when dlib's CNN finds one there (confirmations[0] more CNN runs,
        0.1-0.3 s each, are allowed for this picture). A face HOG does not see at all (turned away) is
        left to any_face, which tells the person why.
        """
        size = proposal.size
        # Never coarser than the template pass's view (DETECT_MAX_SIDE): a large face keeps the box and
        # landmarks it has always had.
        factor = max(VERIFY_FACE_PX / size, min(1.0, DETECT_MAX_SIDE / max(image.shape[:2])))
        grow = VERIFY_MARGIN * size
        x1, y1 = (max(0, int(v)) for v in np.floor(proposal.box[:2] - grow))
        x2 = min(image.shape[1], int(np.ceil(proposal.box[2] + grow)))
        y2 = min(image.shape[0], int(np.ceil(proposal.box[3] + grow)))
        if min(x2 - x1, y2 - y1) * factor < MIN_DETECTED_FACE_PX:
            return None
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        crop = cv2.resize(image[y1:y2, x1:x2], shrunk_size((y2 - y1, x2 - x1), factor), interpolation=interpolation)
        crop = np.ascontiguousarray(crop)
        back = np.array([x1, y1, x1, y1], dtype=np.float32)
        inner = (proposal.box - back) * factor
        rects, scores, _ = self.detector.run(crop, 0, CANDIDATE_SCORE)
        best, best_box = None, None
        for rect, score in zip(rects, scores, strict=True):
            box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float32)
            if _on(box, inner) and (best is None or score > best):
                best, best_box = float(score), box
        if best is None:
            return None
        if best >= CONFIDENT_SCORE:
            return best_box / factor + back, best, None
        if confirmations[0] <= 0:
            return None
        confirmations[0] -= 1
        if self.cnn_confirms(crop, best_box):
            return best_box / factor + back, best, "cnn"
        return None

    def quick_view(self, image: np.ndarray) -> View:
        """The picture made a whole factor smaller, to at most QUICK_MAX_SIDE (kept for the next call)."""
        if self._quick is not None and self._quick[0]() is image:
            return self._quick[1]
        factor = math.ceil(max(image.shape[:2]) / QUICK_MAX_SIDE)
        view = View(area_shrink(image, factor), np.array([[factor, 0, 0], [0, factor, 0]], dtype=np.float64))
        self._quick = (weakref.ref(image), view)
        return view

    def detect_sideways(self, image: np.ndarray, *, timings: Timings | None = None) -> list[Face]:
        """The faces of a photo lying on its side or upside down, in the photo's own coordinates: HOG on
        a small copy turned each way, then the best turn searched like an upright photo."""
        start = time.perf_counter()
        small = self.quick_view(image).image
        best, best_score = None, CONFIDENT_SCORE
        if not too_small(small):
            for turns in QUARTER_TURNS:
                _, scores, _ = self.detector.run(np.ascontiguousarray(np.rot90(small, turns)), 0, CONFIDENT_SCORE)
                if len(scores) and max(scores) > best_score:
                    best, best_score = turns, max(scores)
        if timings is not None:
            timings["detect"] = timings.get("detect", 0.0) + time.perf_counter() - start
        if best is None:
            return []
        view = quarter_view(image, best)
        faces = self._person_faces(view.image, timings)
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
        verdict stays fast on a large photo.
        """
        view = self.quick_view(image)
        if too_small(view.image):
            return False
        candidates = self._candidates([view], floor=TURNED_CANDIDATE_SCORE)
        return any(self.cnn_confirms(view.image, c.box) for c in candidates[:MAX_CONFIRMATIONS])

    def landmarks(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """dlib's 68 landmarks inside a face box."""
        rect = dlib.rectangle(*(round(float(v)) for v in box))
        shape = self.predictor(image, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def seen_from_the_side(proposal: Proposal) -> bool:
    """Whether BlazeFace's key points show a face in profile: its nose tip beyond the ears' midpoint by
    more than SIDE_ON_NOSE of the distance between the ears (the 68 landmarks, fitted to a frontal face,
    make a profile look only some 30 degrees turned)."""
    _, _, nose, _, right_ear, left_ear = proposal.keypoints
    span = abs(float(left_ear[0] - right_ear[0]))
    return abs(float(nose[0] - (left_ear[0] + right_ear[0]) / 2)) > SIDE_ON_NOSE * max(span, 1.0)


def _side(box: np.ndarray) -> float:
    return float(np.sqrt(max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)))


def _on(box: np.ndarray, target: np.ndarray) -> bool:
    """Whether a detection box is the face of a target box: its centre inside, a similar size."""
    centre = (box[:2] + box[2:]) / 2
    inside = target[0] <= centre[0] <= target[2] and target[1] <= centre[1] <= target[3]
    return inside and 0.5 <= _side(box) / max(_side(target), 1.0) <= 2.0


def _add_timings(timings: Timings | None, start: float, found: float) -> None:
    """Add the seconds from start to found to timings["detect"] and from found to now to "landmarks"."""
    if timings is not None:
        timings["detect"] = timings.get("detect", 0.0) + found - start
        timings["landmarks"] = timings.get("landmarks", 0.0) + time.perf_counter() - found
