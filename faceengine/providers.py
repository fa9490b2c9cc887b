"""ONNX execution providers: which of those an operator asks for this onnxruntime can run.

The site passes the list from its settings (FACESWAP_ONNX_PROVIDERS); nothing here reads settings. Names
are onnxruntime's ("CUDAExecutionProvider") or short ("cuda"); "auto" means the fastest this onnxruntime
build has among TensorRT, CUDA and the CPU. A provider asked for but absent (a CPU-only wheel) is left
out with a warning in the log, and the CPU is always the last resort, so a missing GPU never stops a
worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from .errors import EngineError

SHORT_NAMES = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
CPU = SHORT_NAMES["cpu"]
# What "auto" tries, fastest first.
AUTO = (SHORT_NAMES["tensorrt"], SHORT_NAMES["cuda"], CPU)

logger = logging.getLogger(__package__)


def parse_providers(value: str | Iterable[str]) -> tuple[str, ...]:
    """A setting's value ("cuda,cpu", ["auto"], "") as a tuple of onnxruntime names and "auto"; an
    EngineError naming the choices for an unknown one. Empty means "auto"."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = []
    for item in (str(item).strip() for item in items):
        if not item:
            continue
        if item.lower() == "auto":
            names.append("auto")
        elif item.lower() in SHORT_NAMES:
            names.append(SHORT_NAMES[item.lower()])
        elif item in SHORT_NAMES.values():
            names.append(item)
        else:
            raise EngineError(
                f"Unknown ONNX execution provider {item!r}; use auto or a comma-separated list of "
                f"{', '.join(SHORT_NAMES)} (or onnxruntime's own names)."
            )
    return tuple(names) or ("auto",)


def resolve_providers(requested: Sequence[str], available: Sequence[str] | None = None) -> tuple[str, ...]:
    """The providers to give onnxruntime, best first: those requested that `available` (default: this
    onnxruntime's) offers, "auto" expanded, and the CPU last whatever was asked."""
    if available is None:
        import onnxruntime

        available = onnxruntime.get_available_providers()
    chosen: list[str] = []
    for name in parse_providers(requested):
        candidates = AUTO if name == "auto" else (name,)
        for candidate in candidates:
            if candidate in available and candidate not in chosen:
                chosen.append(candidate)
            elif name != "auto" and candidate not in available:
                logger.warning("ONNX execution provider %s asked for but not available here; skipped", candidate)
    if CPU not in chosen:
        chosen.append(CPU)
    return tuple(chosen)
