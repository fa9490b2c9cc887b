"""Where faces may be in a person's photo, however small: MediaPipe's BlazeFace run over the whole picture.

BlazeFace (short range) ships inside the mediapipe wheel (Apache-2.0) as a .tflite file, which LiteRT
runs; mediapipe itself is never imported. The network is fully convolutional: trained on 128x128
inputs, it finds faces 16-128 px across anywhere in a larger input. A picture is searched on a pyramid:
the finest level scaled so the smallest face wanted is about LEVEL_FACE_PX there, each next level
LEVEL_STEP times smaller, until the whole picture fits one tile. Each level is cut into fixed-size tiles, so the
interpreters are sized once per process (resizing one costs 50-120 ms).

BlazeFace also answers on drawn faces and on textures, so what it proposes is only where to look:
the detector decides with dlib's models what is a face (see detector.ClassicDetector.detect_person).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..util import area_shrink

MODEL_FILE = "modules/face_detection/face_detection_short_range.tflite"
# The smallest face (in the model's input) a level is made for: every face of the shared photos scaled
# to 20 px scores 0.63 or more (at 16 px 0.21 or more; at 12 px half of them are lost).
LEVEL_FACE_PX = 20
# Each level covers faces up to about 4x its smallest (64 px in the input; it still sees them at 128).
LEVEL_STEP = 4
# Tiles of the large levels, overlapping so a face up to OVERLAP px lies whole in one of them. A level
# that fits a smaller tile of SMALL_TILES runs in the smallest that holds it.
TILE = 512
OVERLAP = 96
SMALL_TILES = (128, 256)
# Candidates from this score on are proposed (the real faces of the shared photos and their variants
# score 0.49 and up at 40 px in a 12-MP picture; textures and drawn faces up to 0.85).
PROPOSAL_SCORE = 0.25
# Two proposals are one when their boxes overlap by this much (intersection over union).
SAME_FACE_IOU = 0.3
# The model's six key points: right eye, left eye (as the person sees them), nose tip, mouth centre,
# right ear, left ear.
KEYPOINTS = 6


def model_path() -> Path:
    """BlazeFace's model file inside the installed mediapipe package (found without importing it)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("mediapipe is not installed (its wheel ships the BlazeFace model)")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE


@dataclass
class Proposal:
    """A place BlazeFace takes for a face, in the original picture's pixels."""

    box: np.ndarray  # float32 [x1, y1, x2, y2]
    score: float
    keypoints: np.ndarray  # float32 (6, 2)
    scale: float  # the pyramid level's scale (picture pixels -> model input pixels)

    @property
    def size(self) -> float:
        return float(max(self.box[2] - self.box[0], self.box[3] - self.box[1]))


@dataclass
class Level:
    """One pyramid level: its scale, the smallest face it finds well (original pixels), its proposals."""

    scale: float
    min_face: float
    proposals: list[Proposal]


class _Network:
    """One LiteRT interpreter of the model at a fixed input size, decoding its anchors."""

    def __init__(self, path: Path, side: int) -> None:
        # Imported here: only a person's photo needs it (the template pass and the swap do not).
        from ai_edge_litert.interpreter import Interpreter

        # One thread: the machine's cores are shared by worker processes; XNNPACK starts no threads then,
        # so a worker may still fork after loading.
        # LiteRT says "Created TensorFlow Lite XNNPACK delegate" on fd 2 while it sets up.
        with _quiet_stderr():
            self.interpreter = Interpreter(model_path=str(path), num_threads=1)
            self.input = self.interpreter.get_input_details()[0]["index"]
            self.interpreter.resize_tensor_input(self.input, [1, side, side, 3])
            self.interpreter.allocate_tensors()
            self.interpreter.invoke()
        outputs = {o["name"]: o["index"] for o in self.interpreter.get_output_details()}
        self.regressors, self.classificators = outputs["regressors"], outputs["classificators"]
        self.side = side
        # Anchor centres (input pixels): a 2-anchor grid at stride 8, then a 6-anchor grid at stride 16.
        centres = []
        for stride, count in ((8, 2), (16, 6)):
            cells = side // stride
            ys, xs = np.mgrid[0:cells, 0:cells]
            grid = np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], axis=-1).reshape(-1, 1, 2)
            centres.append(np.repeat(grid, count, axis=1).reshape(-1, 2))
        self.centres = np.concatenate(centres).astype(np.float32)

    def run(self, tile: np.ndarray, threshold: float) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """(box, score, key points) of every anchor from threshold up, in the tile's pixels."""
        self.interpreter.set_tensor(self.input, (tile.astype(np.float32) / 127.5 - 1.0)[None])
        self.interpreter.invoke()
        logits = self.interpreter.get_tensor(self.classificators)[0, :, 0]
        keep = np.flatnonzero(logits >= np.log(threshold / (1 - threshold)))
        if not len(keep):
            return []
        raw = self.interpreter.get_tensor(self.regressors)[0, keep]
        centres = self.centres[keep]
        scores = 1 / (1 + np.exp(-logits[keep].astype(np.float64)))
        middle = centres + raw[:, 0:2]
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([middle - half, middle + half], axis=1)
        keypoints = raw[:, 4 : 4 + 2 * KEYPOINTS].reshape(-1, KEYPOINTS, 2) + centres[:, None, :]
        return [(boxes[i], float(scores[i]), keypoints[i]) for i in range(len(keep))]


class BlazeFace:
    """Face proposals on a picture's pyramid; the interpreters load on first use (a few milliseconds)."""

    def __init__(self) -> None:
        self._networks: dict[int, _Network] = {}
        self._lock = threading.Lock()

    def _network(self, side: int) -> _Network:
        with self._lock:
            if side not in self._networks:
                self._networks[side] = _Network(model_path(), side)
            return self._networks[side]

    def warm_up(self) -> None:
        """Load both interpreters and run each once (XNNPACK packs its weights on the first run)."""
        for side in (*SMALL_TILES, TILE):
            self._network(side).run(np.zeros((side, side, 3), dtype=np.uint8), 1.0 - 1e-6)

    def levels(self, image: np.ndarray, *, min_face: float) -> Iterator[Level]:
        """The pyramid's levels from the coarsest (largest faces) to the finest (faces of min_face px),
        each with its proposals, so a caller may stop before the finer, costlier levels."""
        # Each level shrinks the one before by a whole factor (OpenCV's fast averaging path; a 12-MP
        # picture to an arbitrary size takes 0.2 s), so the original is read once.
        factor = max(1, int(min_face // LEVEL_FACE_PX))
        views = [(factor, area_shrink(image, factor))]
        while max(views[-1][1].shape[:2]) > SMALL_TILES[0]:
            views.append((views[-1][0] * LEVEL_STEP, area_shrink(views[-1][1], LEVEL_STEP)))
        for factor, view in reversed(views):
            scale = 1.0 / factor
            yield Level(scale=scale, min_face=LEVEL_FACE_PX * factor, proposals=self._level(view, scale))

    def _level(self, view: np.ndarray, scale: float) -> list[Proposal]:
        height, width = view.shape[:2]
        side = next((side for side in SMALL_TILES if max(height, width) <= side), TILE)
        network = self._network(side)
        stride = side - OVERLAP
        found = []
        for y in range(0, max(1, height - OVERLAP), stride):
            for x in range(0, max(1, width - OVERLAP), stride):
                tile = view[y : y + side, x : x + side]
                if tile.shape[:2] != (side, side):
                    tile = cv2.copyMakeBorder(
                        tile, 0, side - tile.shape[0], 0, side - tile.shape[1], cv2.BORDER_CONSTANT, value=0
                    )
                for box, score, keypoints in network.run(np.ascontiguousarray(tile), PROPOSAL_SCORE):
                    offset = np.array([x, y], dtype=np.float32)
                    found.append(
                        Proposal(
                            box=((box + np.tile(offset, 2)) / scale).astype(np.float32),
                            score=score,
                            keypoints=((keypoints + offset) / scale).astype(np.float32),
                            scale=scale,
                        )
                    )
        return merged(found)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 sent to /dev/null for the block: a command's error output stays one plain line."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def merged(proposals: list[Proposal]) -> list[Proposal]:
    """One proposal per face (the best scoring of those overlapping), best first."""
    ordered = sorted(proposals, key=lambda p: p.score, reverse=True)
    if not ordered:
        return []
    boxes = np.array([p.box for p in ordered], dtype=np.float64)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    alive = np.ones(len(ordered), dtype=bool)
    kept = []
    for i in range(len(ordered)):
        if not alive[i]:
            continue
        kept.append(ordered[i])
        width = np.clip(np.minimum(boxes[i, 2], boxes[:, 2]) - np.maximum(boxes[i, 0], boxes[:, 0]), 0, None)
        height = np.clip(np.minimum(boxes[i, 3], boxes[:, 3]) - np.maximum(boxes[i, 1], boxes[:, 1]), 0, None)
        inter = width * height
        overlap = inter / np.maximum(areas[i] + areas - inter, 1e-9)
        alive &= overlap < SAME_FACE_IOU
    return kept
