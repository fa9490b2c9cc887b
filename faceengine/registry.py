"""Engine selection: one engine object per process and name, its models loaded once and reused.

`get_engine` is the only place that loads models. Each load logs one INFO line on the `faceengine`
logger ("<name> engine: models loaded in <s> s (pid <pid>)") and is counted by `model_load_count()`, so
a worker can show that a second job did not load them again. Nothing is loaded at import time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import numpy as np

from .base import Engine
from .classic.engine import ClassicEngine
from .errors import EngineError
from .faces import Face
from .insightface.engine import InsightFaceEngine
from .insightface.files import find_models

ENGINE_NAMES = ("auto", "classic", "insightface")

logger = logging.getLogger(__package__)
_lock = threading.Lock()
_engines: dict[tuple[str, str], Engine] = {}
_model_loads = 0


def model_load_count() -> int:
    """How many times this process has loaded face models (1 after the first get_engine)."""
    return _model_loads


def resolve_engine_name(name: str, insightface_dir: str | Path | None) -> str:
    """ "auto" becomes "insightface" when its model files are in insightface_dir, else "classic"."""
    if name not in ENGINE_NAMES:
        raise EngineError(f"Unknown face engine {name!r}; use auto, classic or insightface.")
    if name != "auto":
        return name
    if not insightface_dir:
        return "classic"
    return "insightface" if find_models(insightface_dir).complete else "classic"


def get_engine(name: str = "auto", *, insightface_dir: str | Path | None = None) -> Engine:
    """The process-wide engine, created (models loaded) on first use.

    name: "auto" (insightface when its model files are in insightface_dir, else classic), "classic" or
    "insightface".
    """
    global _model_loads
    resolved = resolve_engine_name(name, insightface_dir)
    key = (resolved, str(insightface_dir or "") if resolved == "insightface" else "")
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            start = time.perf_counter()
            engine = InsightFaceEngine(insightface_dir) if resolved == "insightface" else ClassicEngine()
            _model_loads += 1
            _engines[key] = engine
            logger.info(
                "%s engine: models loaded in %.2f s (pid %d)", engine.name, time.perf_counter() - start, os.getpid()
            )
        return engine


def detect_faces(image: np.ndarray, *, engine: Engine | None = None, thorough: bool = False) -> list[Face]:
    """All faces in an RGB image, largest first, found by engine (the classic engine when not given).

    thorough: small and tilted faces too, at several seconds per large picture; for templates, whose
    faces are found once at curation and stored. Safe from several threads at once (the engine's model
    lock is held around the detection).
    """
    engine = engine or get_engine("classic")
    with engine.model_lock:
        return engine.detect(image, thorough=thorough)
