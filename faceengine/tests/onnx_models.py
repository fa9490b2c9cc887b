"""Small ONNX models with the input/output signatures of insightface's SCRFD, ArcFace and inswapper.

They let the tests run the real loading, routing and swapping code without the licence-restricted model
files. Their behaviour is simple and known:
- the detector scores each cell of its coarsest grid (32 px) by its brightness, so a white 32x32 square
  on a 32 px boundary of a dark 640x480 picture is "a face": a 128 px box around the cell's centre, with
  five points at fixed offsets;
- the recogniser averages the aligned 112x112 crop into 8x8 cells and projects them to 512 numbers;
- the swapper returns half the target crop plus a colour computed from the source embedding (through
  the emap, the graph's last initializer).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]
STRIDES = (8, 16, 32)
ANCHORS = 2
# Five points relative to the anchor centre, in strides (eyes, nose, mouth corners).
KPS_OFFSETS = np.array([[-0.5, -0.4], [0.5, -0.4], [0.0, 0.1], [-0.4, 0.5], [0.4, 0.5]], dtype=np.float32)


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=OPSET, ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def make_detector(path: Path) -> Path:
    """An SCRFD-shaped detector: input 1x3x?x? and 9 outputs (scores, boxes, points for 3 strides)."""
    nodes, inits = [], []
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "?", "?"])
    inits.append(numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "flat4"))
    inits.append(numpy_helper.from_array(np.array([-1, 10], dtype=np.int64), "flat10"))
    inits.append(numpy_helper.from_array(np.array([-1, 1], dtype=np.int64), "col1"))
    outputs = {"score": [], "bbox": [], "kps": []}
    for stride in STRIDES:
        pooled = f"pool{stride}"
        nodes.append(
            helper.make_node(
                "AveragePool", ["input.1"], [pooled], kernel_shape=[stride, stride], strides=[stride, stride]
            )
        )
        # Scores: on the coarsest grid only, sigmoid(12 * mean brightness - 6) for both anchors (the input
        # is (x - 127.5) / 128); the finer grids score nothing.
        coarsest = stride == STRIDES[-1]
        weight = np.full((ANCHORS, 3, 1, 1), 12.0 / 3 if coarsest else 0.0, dtype=np.float32)
        bias = np.full((ANCHORS,), -6.0 if coarsest else -20.0, dtype=np.float32)
        inits += [numpy_helper.from_array(weight, f"sw{stride}"), numpy_helper.from_array(bias, f"sb{stride}")]
        nodes.append(helper.make_node("Conv", [pooled, f"sw{stride}", f"sb{stride}"], [f"sc{stride}"]))
        nodes.append(helper.make_node("Sigmoid", [f"sc{stride}"], [f"sg{stride}"]))
        nodes.append(helper.make_node("Transpose", [f"sg{stride}"], [f"st{stride}"], perm=[0, 2, 3, 1]))
        nodes.append(helper.make_node("Reshape", [f"st{stride}", "col1"], [f"score_{stride}"]))
        outputs["score"].append(helper.make_tensor_value_info(f"score_{stride}", TensorProto.FLOAT, ["n", 1]))
        # Boxes: two strides from the centre on all four sides (neighbours overlap, NMS keeps one);
        # points at fixed offsets.
        for kind, width, values in (
            ("bbox", 4, np.full(4, 2.0, dtype=np.float32)),
            ("kps", 10, KPS_OFFSETS.ravel()),
        ):
            weight = np.zeros((ANCHORS * width, 3, 1, 1), dtype=np.float32)
            bias = np.tile(values, ANCHORS).astype(np.float32)
            inits += [
                numpy_helper.from_array(weight, f"{kind}w{stride}"),
                numpy_helper.from_array(bias, f"{kind}b{stride}"),
            ]
            nodes.append(
                helper.make_node("Conv", [pooled, f"{kind}w{stride}", f"{kind}b{stride}"], [f"{kind}c{stride}"])
            )
            nodes.append(helper.make_node("Transpose", [f"{kind}c{stride}"], [f"{kind}t{stride}"], perm=[0, 2, 3, 1]))
            shape = "flat4" if width == 4 else "flat10"
            nodes.append(helper.make_node("Reshape", [f"{kind}t{stride}", shape], [f"{kind}_{stride}"]))
            outputs[kind].append(helper.make_tensor_value_info(f"{kind}_{stride}", TensorProto.FLOAT, ["n", width]))
    graph = helper.make_graph(
        nodes, "scrfd_test", [image], outputs["score"] + outputs["bbox"] + outputs["kps"], initializer=inits
    )
    return _save(graph, path)


def make_recogniser(path: Path, *, seed: int = 3) -> Path:
    """An ArcFace-shaped recogniser: input 1x3x112x112, output 1x512."""
    rng = np.random.default_rng(seed)
    image = helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])
    out = helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [1, 512])
    inits = [numpy_helper.from_array(rng.standard_normal((3 * 14 * 14, 512)).astype(np.float32), "proj")]
    nodes = [
        helper.make_node("AveragePool", ["data"], ["cells"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Flatten", ["cells"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "proj"], ["fc1"]),
    ]
    return _save(helper.make_graph(nodes, "arcface_test", [image], [out], initializer=inits), path)


def make_swapper(path: Path, *, seed: int = 4, source_first: bool = False) -> Path:
    """An inswapper-shaped swapper: inputs target 1x3x128x128 and source 1x512, output 1x3x128x128.

    The last initializer is the 512x512 emap, as insightface expects. source_first puts the inputs in
    the wrong order (insightface then does not route it as a swapper).
    """
    rng = np.random.default_rng(seed)
    target = helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128])
    source = helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])
    emap, _ = np.linalg.qr(rng.standard_normal((512, 512)))
    inits = [
        numpy_helper.from_array(np.array([0.5], dtype=np.float32), "half"),
        numpy_helper.from_array(rng.standard_normal((512, 3)).astype(np.float32) * 0.5, "tint"),
        numpy_helper.from_array(np.array([1, 3, 1, 1], dtype=np.int64), "tint_shape"),
        numpy_helper.from_array(emap.astype(np.float32), "emap"),
    ]
    nodes = [
        helper.make_node("Mul", ["target", "half"], ["dim"]),
        helper.make_node("MatMul", ["source", "tint"], ["colour"]),
        helper.make_node("Sigmoid", ["colour"], ["colour01"]),
        helper.make_node("Mul", ["colour01", "half"], ["colour_half"]),
        helper.make_node("Reshape", ["colour_half", "tint_shape"], ["colour4"]),
        helper.make_node("Add", ["dim", "colour4"], ["output"]),
    ]
    inputs = [source, target] if source_first else [target, source]
    return _save(helper.make_graph(nodes, "inswapper_test", inputs, [out], initializer=inits), path)


def make_model_folder(root: Path, **swapper_options) -> Path:
    """An insightface folder as an operator lays it out: the swapper on top, the pack in a subfolder."""
    pack = root / "buffalo_test"
    pack.mkdir(parents=True, exist_ok=True)
    make_detector(pack / "det_test.onnx")
    make_recogniser(pack / "w_test.onnx")
    make_swapper(root / "inswapper_128.onnx", **swapper_options)
    return root
