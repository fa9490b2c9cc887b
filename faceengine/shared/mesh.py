"""The dense face model: MediaPipe's 478-point face mesh (468 points and 10 on the irises), with depth.

The model files ship inside the mediapipe wheel (0.10.21; Apache-2.0): nothing is downloaded. A mesh is
found on a crop around a face already found (by dlib or a backend's detector), so its cost does not grow
with the picture. Points are in the picture's pixels; z is depth in the same units (smaller is nearer
the camera), relative to the face, so a mesh gives the head's pose (`mesh_pose`), the openness of the
mouth and eyes, and surface normals.

MediaPipe's graph starts threads that a forked child cannot use: an engine holding a mesher is not
fork-safe (the worker then runs jobs in its own process). The graph is built on first use in a process
and reused; the caller holds the engine's model lock around `FaceMesher.mesh`.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

MESH_POINTS = 478
# Outline of the face, clockwise from the chin's left (image left), as MediaPipe's FACE_OVAL.
FACE_OVAL = [
    176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10,
    338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
]  # fmt: skip
LIPS_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
LIPS_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191]
# The eye on the image's left (the person's right eye) and on the image's right.
EYE_LEFT = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
EYE_RIGHT = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
BROW_LEFT = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
BROW_RIGHT = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
IRIS_LEFT = [468, 469, 470, 471, 472]  # centre first
IRIS_RIGHT = [473, 474, 475, 476, 477]
# Points for pose and size: the eyes' outer corners, the forehead's top and the chin.
EYE_OUTER = (33, 263)
FOREHEAD, CHIN = 10, 152
UPPER_LIP, LOWER_LIP = 13, 14  # the inner lips' middle
EYE_LIDS = ((159, 145), (386, 374))  # (upper, lower) lid middles

# The crop a mesh is found on: the face box grown by this fraction of its size on each side, scaled so
# the box is about MESH_FACE_PX across (MediaPipe's landmark model works at 192 px).
MESH_MARGIN = 0.6
MESH_FACE_PX = 256


@dataclass
class Pose3D:
    """A head's pose from its mesh, degrees: yaw (+: turned towards the image's left, as
    landmarks.estimate_pose), pitch (+: looking down), roll (+: clockwise in the image)."""

    yaw: float
    pitch: float
    roll: float


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """MediaPipe's native code writes start-up chatter to the process's stderr (file descriptor 2), which
    a command's one plain line of error must not be mixed with: silenced around its import and set-up.
    Python exceptions still propagate."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _solutions():
    with _quiet_stderr():
        os.environ.setdefault("GLOG_minloglevel", "2")
        from mediapipe.python import solution_base
        from mediapipe.python.solutions import face_mesh, face_mesh_connections

    return solution_base, face_mesh, face_mesh_connections


@cache
def triangles() -> np.ndarray:
    """The mesh's triangles (int32, n x 3) from MediaPipe's tessellation (its edges' 3-cliques)."""
    _, _, connections = _solutions()
    neighbours: dict[int, set[int]] = {}
    for a, b in connections.FACEMESH_TESSELATION:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    found = set()
    for a, b in connections.FACEMESH_TESSELATION:
        for c in neighbours[a] & neighbours[b]:
            found.add(tuple(sorted((a, b, c))))
    return np.array(sorted(found), dtype=np.int32)


def model_path() -> Path:
    """The face landmark model file inside the mediapipe wheel (nothing is loaded)."""
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    root = Path(spec.origin).parent if spec and spec.origin else Path("mediapipe")
    return root / "modules" / "face_landmark" / "face_landmark_with_attention.tflite"


def warm_import() -> None:
    """Import MediaPipe now (about a second), without starting its graph, so a process that will build
    one later does not pay the import on a request."""
    _solutions()


class FaceMesher:
    """MediaPipe's face mesh, built once per process on first use."""

    def __init__(self) -> None:
        self._graph = None
        self._pid = 0
        self._used = False

    def _mesh_graph(self):
        if self._graph is None or self._pid != os.getpid():
            solution_base, face_mesh, _ = _solutions()
            # FaceMesh's own constructor sets its thresholds through calculator options, which reads
            # FieldDescriptor.label (gone in protobuf 7); the graph itself, with its default thresholds
            # (a face at 0.5, as FaceMesh's), needs none of that.
            with _quiet_stderr():
                self._graph = solution_base.SolutionBase(
                    binary_graph_path=face_mesh._BINARYPB_FILE_PATH,
                    side_inputs={"num_faces": 3, "with_attention": True, "use_prev_landmarks": False},
                    outputs=["multi_face_landmarks"],
                )
            self._pid = os.getpid()
            self._used = False
        return self._graph

    def mesh(self, image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        """The 478-point mesh (float32, x and y in image pixels, z in the same units) of the face whose
        box is given, or None when the mesh model finds no face there."""
        x1, y1, x2, y2 = (float(v) for v in box[:4])
        size = max(x2 - x1, y2 - y1, 1.0)
        grow = MESH_MARGIN * size
        height, width = image.shape[:2]
        cx1, cy1 = max(0, int(x1 - grow)), max(0, int(y1 - grow))
        cx2, cy2 = min(width, math.ceil(x2 + grow)), min(height, math.ceil(y2 + grow))
        if cx2 - cx1 < 8 or cy2 - cy1 < 8:
            return None
        crop = image[cy1:cy2, cx1:cx2, :3]
        scale = MESH_FACE_PX / size
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        crop = cv2.resize(
            crop,
            (max(8, round(crop.shape[1] * scale)), max(8, round(crop.shape[0] * scale))),
            interpolation=interpolation,
        )
        graph = self._mesh_graph()
        # Its first run prints the delegate it chose to stderr: quiet, like its set-up.
        with _quiet_stderr() if not self._used else contextlib.nullcontext():
            found = graph.process(np.ascontiguousarray(crop))
        self._used = True
        if not found.multi_face_landmarks:
            return None
        ch, cw = crop.shape[:2]
        centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
        best, best_distance = None, None
        for landmarks in found.multi_face_landmarks:
            points = np.array([(p.x * cw, p.y * ch, p.z * cw) for p in landmarks.landmark], dtype=np.float32)
            points /= np.float32(scale)
            points[:, 0] += cx1
            points[:, 1] += cy1
            distance = float(np.linalg.norm(points[:, :2].mean(axis=0) - centre))
            if best_distance is None or distance < best_distance:
                best, best_distance = points, distance
        if best is None or best_distance > 0.5 * size:
            return None
        return best


def mesh_pose(points: np.ndarray) -> Pose3D:
    """The head's pose from a mesh: the face's right and up directions in 3D (the eyes' outer corners,
    the forehead and the chin), their normal for yaw and pitch, the eye line for roll."""
    right = points[EYE_OUTER[1]] - points[EYE_OUTER[0]]
    up = points[FOREHEAD] - points[CHIN]
    normal = np.cross(right, up)
    normal /= max(float(np.linalg.norm(normal)), 1e-6)
    # normal points towards the camera (-z) for a frontal face.
    # The sign follows landmarks.estimate_pose (dlib's 68 points): + when the nose points to the image's left.
    yaw = -math.degrees(math.atan2(float(normal[0]), float(-normal[2])))
    pitch = math.degrees(math.atan2(float(normal[1]), math.hypot(float(normal[0]), float(normal[2]))))
    roll = math.degrees(math.atan2(float(right[1]), float(right[0])))
    return Pose3D(yaw=yaw, pitch=pitch, roll=roll)


def face_height(points: np.ndarray) -> float:
    """Forehead to chin, pixels (in the image plane)."""
    return max(float(np.linalg.norm(points[FOREHEAD, :2] - points[CHIN, :2])), 1.0)


def mouth_openness(points: np.ndarray) -> float:
    """The gap between the inner lips over the face's height."""
    return float(np.linalg.norm(points[UPPER_LIP, :2] - points[LOWER_LIP, :2])) / face_height(points)


def eye_openness(points: np.ndarray) -> float:
    """The mean gap between the lids over the face's height."""
    gaps = [float(np.linalg.norm(points[a, :2] - points[b, :2])) for a, b in EYE_LIDS]
    return float(np.mean(gaps)) / face_height(points)
