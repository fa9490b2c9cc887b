"""The backends by name, and engine selection: one engine object per process and configuration, its
models loaded once and reused.

Adding a backend is a subpackage with an `Engine` subclass and one line in BACKENDS. Its order is the
preference of "auto": the first backend whose model files are present (`Engine.available`); classic's
ship inside packages, so it is always available and stays last.

`get_engine` is the only place that loads models. Each load logs one INFO line on the `faceengine`
logger ("<name> engine: models loaded in <s> s (pid <pid>)") and is counted by `model_load_count()`, so
a worker can show that a second job did not load them again. Nothing is loaded at import time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Hashable, Iterable
from pathlib import Path

import numpy as np

from .base import Engine, EngineConfig, ModelFile
from .classic.engine import ClassicEngine
from .errors import EngineError
from .faces import Face
from .insightface.engine import InsightFaceEngine
from .providers import parse_providers

BACKENDS: dict[str, type[Engine]] = {
    "insightface": InsightFaceEngine,
    "classic": ClassicEngine,
}

logger = logging.getLogger(__package__)
_lock = threading.Lock()
_engines: dict[tuple[str, Hashable], Engine] = {}
_model_loads = 0


def engine_names() -> tuple[str, ...]:
    """Every name FACESWAP_ENGINE and the commands' --engine accept: "auto" and the registered backends."""
    return ("auto", *BACKENDS)


def engine_config(*, model_dir: str | Path | None = None, providers: str | Iterable[str] | None = None) -> EngineConfig:
    """The backends' configuration from an operator's values (an empty folder name counts as none)."""
    return EngineConfig(
        model_dir=Path(model_dir).expanduser() if model_dir else None,
        providers=parse_providers(providers if providers is not None else "auto"),
    )


def resolve_engine_name(name: str, config: EngineConfig | None = None) -> str:
    """The backend a name selects: itself, or for "auto" the first registered backend that is available."""
    if name not in engine_names():
        raise EngineError(
            f"Unknown face engine {name!r}; use {', '.join(engine_names()[:-1])} or {engine_names()[-1]}."
        )
    if name != "auto":
        return name
    config = config or EngineConfig()
    for backend, cls in BACKENDS.items():
        if cls.available(config):
            return backend
    raise EngineError("No face engine has its model files here; see `manage.py check_models`.")


def model_load_count() -> int:
    """How many times this process has loaded face models (1 after the first get_engine)."""
    return _model_loads


def get_engine(
    name: str = "auto", *, model_dir: str | Path | None = None, providers: str | Iterable[str] | None = None
) -> Engine:
    """The process-wide engine of a backend, created (models loaded) on first use.

    name: "auto" or a key of BACKENDS; model_dir: the folder of operator-installed model files;
    providers: the ONNX execution providers asked for (see providers.py; default "auto").
    """
    global _model_loads
    config = engine_config(model_dir=model_dir, providers=providers)
    resolved = resolve_engine_name(name, config)
    cls = BACKENDS[resolved]
    key = (resolved, cls.cache_key(config))
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            start = time.perf_counter()
            engine = cls(config)
            _model_loads += 1
            _engines[key] = engine
            logger.info(
                "%s engine: models loaded in %.2f s (pid %d)", engine.name, time.perf_counter() - start, os.getpid()
            )
        return engine


def engine_model_files(
    name: str, *, model_dir: str | Path | None = None, providers: str | Iterable[str] | None = None
) -> tuple[str, list[ModelFile]]:
    """(the backend that `name` selects, the model files it uses with their terms); nothing is loaded."""
    config = engine_config(model_dir=model_dir, providers=providers)
    resolved = resolve_engine_name(name, config)
    return resolved, BACKENDS[resolved].model_files(config)


def detect_faces(image: np.ndarray, *, engine: Engine | None = None, thorough: bool = False) -> list[Face]:
    """All faces in an RGB image, largest first, found by engine (the classic engine when not given).

    thorough: small and tilted faces too, at several seconds per large picture; for templates, whose
    faces are found once at curation and stored. Safe from several threads at once (the engine's model
    lock is held around the detection).
    """
    engine = engine or get_engine("classic")
    with engine.model_lock:
        return engine.detect(image, thorough=thorough)
