"""The insightface backend: SCRFD detection, ArcFace embedding and the inswapper, from operator files.

The model files cannot be bundled (licence) and are never downloaded: an operator puts them in the
folder named by FACESWAP_INSIGHTFACE_DIR, laid out like this:

    <dir>/inswapper_128.onnx        the swapper, at the top level
    <dir>/<pack>/det_10g.onnx       a FaceAnalysis pack folder (e.g. buffalo_l) with the SCRFD detector
    <dir>/<pack>/w600k_r50.onnx     and the ArcFace recogniser (other files there are ignored)

The swapper stays outside the pack folder: insightface's FaceAnalysis fails on a pack that holds it.
Each file is routed by insightface's own ModelRouter (model_zoo.get_model): a model with five or more
outputs is a detector, two inputs with the first 1x3x128x128 a swapper, a square input of 112 or more
a recogniser. The inswapper reads its `emap` from the graph's last initializer and needs a float32
embedding, which this module guarantees.

NOT fork-safe after loading: onnxruntime sessions start thread pools that a forked child cannot use,
so a worker with this engine must run jobs without forking (see `Engine.fork_safe`).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np

from ..base import Engine, EngineConfig, ModelFile
from ..errors import EngineError
from ..faces import Face
from ..imageio import as_rgb
from ..providers import resolve_providers
from ..shared.detector import ClassicDetector, landmark_model_file
from ..util import Timings, timed
from .files import find_models

DETECTION_SIZE = (640, 640)
DETECTION_THRESHOLD = 0.5
INSIGHTFACE_TERMS = (
    "insightface's pretrained models are for non-commercial research only; the inswapper also needs a "
    "licence from its authors for any commercial use."
)


def _insightface_face(face: Face):
    # Imported here, like the models in InsightFaceEngine.__init__ (always imported by then).
    from insightface.app.common import Face as InsightFace

    data = {"bbox": np.asarray(face.box, dtype=np.float32), "kps": np.asarray(face.kps, dtype=np.float32)}
    data["det_score"] = float(face.score)
    if face.embedding is not None:
        # The inswapper multiplies this by its float32 emap and feeds the result to onnxruntime,
        # which refuses float64 input: keep it float32.
        data["embedding"] = np.asarray(face.embedding, dtype=np.float32)
    return InsightFace(data)


class InsightFaceEngine(Engine):
    """SCRFD + ArcFace + inswapper behind the Engine interface. Not fork-safe (onnxruntime threads)."""

    name = "insightface"
    licence = "operator-installed insightface models: non-commercial research only unless licensed"
    capabilities = frozenset({"photo-swap", "identity-embedding"})
    fork_safe = False

    @classmethod
    def model_files(cls, config: EngineConfig) -> list[ModelFile]:
        found = find_models(config.model_dir or "")
        files = [ModelFile(path, "insightface pack", INSIGHTFACE_TERMS, False) for path in found.pack_files]
        if found.swapper:
            files.insert(0, ModelFile(found.swapper, "swapper", INSIGHTFACE_TERMS, False))
        return [*files, landmark_model_file()]

    @classmethod
    def available(cls, config: EngineConfig) -> bool:
        return config.model_dir is not None and find_models(config.model_dir).complete

    @classmethod
    def cache_key(cls, config: EngineConfig) -> tuple:
        return (config.model_dir, config.providers)

    def __init__(self, config: EngineConfig | None = None) -> None:
        # Imported here: insightface and onnxruntime take about 0.9 s to import and are optional (an
        # operator installs the model files); only this engine's construction needs them.
        import onnxruntime
        from insightface.model_zoo import model_zoo
        from insightface.model_zoo.arcface_onnx import ArcFaceONNX
        from insightface.model_zoo.inswapper import INSwapper
        from insightface.model_zoo.scrfd import SCRFD

        super().__init__(config)
        root = self.config.model_dir
        if not root:
            raise EngineError("The insightface engine needs FACESWAP_INSIGHTFACE_DIR (a folder of model files).")
        files = find_models(root)
        if not files.complete:
            raise EngineError(
                f"The insightface model files are not in {files.root}: it needs the swapper "
                "(e.g. inswapper_128.onnx) at the top and a pack folder (e.g. buffalo_l/) with the detector "
                "and the recogniser."
            )
        onnxruntime.set_default_logger_severity(3)  # its graph-optimiser chatter is not for operators
        self.providers = providers = resolve_providers(self.config.providers)
        self.files = files
        self.detector = self.recogniser = self.swapper = None

        # INSwapper prints its input shape; keep stdout clean for --json output.
        def route(path: Path):
            # insightface's router indexes input shapes blindly (IndexError on a 2-d first input) and
            # returns None for what it does not know: either way the file is not a model we can use.
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    return model_zoo.get_model(str(path), providers=list(providers))
            except (IndexError, KeyError, TypeError, ValueError, AssertionError):
                return None

        for path in files.pack_files:
            model = route(path)
            if isinstance(model, SCRFD) and self.detector is None:
                self.detector = model
            elif isinstance(model, ArcFaceONNX) and self.recogniser is None:
                self.recogniser = model
            elif isinstance(model, INSwapper) and self.swapper is None:
                self.swapper = model
        swapper = route(files.swapper)
        if isinstance(swapper, INSwapper):
            self.swapper = swapper
        missing = [
            what
            for what, model in (("detector", self.detector), ("recogniser", self.recogniser), ("swapper", self.swapper))
            if model is None
        ]
        if missing:
            raise EngineError(
                f"No {' or '.join(missing)} model was recognised among the insightface files in {files.root}."
            )
        self.detector.prepare(-1, input_size=DETECTION_SIZE, det_thresh=DETECTION_THRESHOLD)
        self.recogniser.prepare(-1)
        # dlib's 68 landmarks on SCRFD's boxes give the pose check and the templates' landmarks.
        self.landmarker = ClassicDetector()

    def detect(self, image: np.ndarray, *, thorough: bool = False, timings: Timings | None = None) -> list[Face]:
        """SCRFD faces (box, 5 points, score) with dlib's 68 landmarks, largest first (SCRFD's one pass is
        its thorough one)."""
        image = as_rgb(image)
        bgr = np.ascontiguousarray(image[..., ::-1])
        with timed(timings, "detect"):
            boxes, points = self.detector.detect(bgr, input_size=DETECTION_SIZE)
        faces = []
        with timed(timings, "landmarks"):
            for index, row in enumerate(boxes):
                box = np.clip(row[:4], 0, [image.shape[1], image.shape[0]] * 2).astype(np.float32)
                if box[2] - box[0] < 2 or box[3] - box[1] < 2:
                    continue
                kps = points[index].astype(np.float32) if points is not None else np.zeros((5, 2), np.float32)
                landmarks = self.landmarker.landmarks(image, box)
                faces.append(Face(box=box, kps=kps, score=float(row[4]), landmarks=landmarks))
        faces.sort(key=lambda face: face.size, reverse=True)
        return faces

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The ArcFace embedding (float32) of a face, stored on it."""
        bgr = np.ascontiguousarray(image[..., ::-1])
        insight = _insightface_face(face)
        face.embedding = np.asarray(self.recogniser.get(bgr, insight), dtype=np.float32)
        return face.embedding

    def prepare_source(self, image: np.ndarray, face: Face, *, timings: Timings | None = None) -> None:
        with timed(timings, "embed"):
            self.embed(image, face)

    def swap_face(
        self,
        canvas: np.ndarray,
        target: Face,
        photo: np.ndarray,
        source: Face,
        *,
        timings: Timings | None = None,
    ) -> None:
        if source.embedding is None:
            self.embed(photo, source)
        with timed(timings, "swap"):
            bgr = np.ascontiguousarray(canvas[..., ::-1])
            merged = self.swapper.get(bgr, _insightface_face(target), _insightface_face(source), paste_back=True)
            canvas[...] = merged[..., ::-1]
