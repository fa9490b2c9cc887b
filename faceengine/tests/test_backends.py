"""The backend contract: the registry, what each backend declares, its lock, ONNX providers from
configuration, and the shared stages every backend's swap goes through."""

from __future__ import annotations

import ast
import threading
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

from faceengine import (
    BACKENDS,
    CAPABILITIES,
    EngineError,
    ModelFile,
    detect_faces,
    engine_names,
    get_engine,
    swap_couple,
)
from faceengine.providers import CPU, parse_providers, resolve_providers
from faceengine.registry import engine_config
from faceengine.tests.example_backend import PasteEngine

ENGINE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def paste(monkeypatch):
    """The example backend, registered for the test with its one registry line."""
    monkeypatch.setitem(BACKENDS, "paste", PasteEngine)
    return get_engine("paste")


def test_every_backend_declares_its_name_licence_capabilities_and_files():
    config = engine_config()
    for name, cls in BACKENDS.items():
        assert cls.name == name and cls.licence
        assert cls.capabilities and cls.capabilities <= set(CAPABILITIES), name
        assert all(isinstance(file, ModelFile) and file.terms for file in cls.model_files(config))
    assert BACKENDS["classic"].available(config) and not BACKENDS["insightface"].available(config)


def test_a_registered_backend_is_offered_by_name_everywhere(paste, faces_dir, photos, templates, settings):
    from django.core.management import call_command

    assert "paste" in engine_names() and paste.name == "paste"
    image, faces = templates["closeup"]
    result, report = swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=paste)
    assert report["engine"] == "paste" and result.shape == image.shape
    changed = np.abs(result.astype(int) - image.astype(int)).max(axis=2) > 0
    inside = np.zeros_like(changed)
    for face in faces.values():
        (x1, y1), (x2, y2) = face.landmarks.min(axis=0) - 20, face.landmarks.max(axis=0) + 20
        inside[int(y1) : int(y2), int(x1) : int(x2)] = True
    assert changed[inside].any() and not changed[~inside].any()
    # The staff commands take the engine names from the registry.
    settings.FACESWAP_ENGINE = "paste"
    out = StringIO()
    call_command("check_models", "--engine", "paste", stdout=out)
    assert out.getvalue().startswith("Engine: paste") and "capabilities: photo-swap" in out.getvalue()


def test_drawn_faces_are_painted_the_same_whatever_the_backend(paste, engine, faces_dir, photos, tmp_path):
    from faceengine.tests.onnx_models import make_model_folder
    from testing import samples

    insightface = get_engine("insightface", model_dir=make_model_folder(tmp_path))

    image, faces = samples.drawn_template(faces_dir)
    sources = {
        "husband": engine.source_face(photos["obama"], role="husband")[0],
        "wife": engine.source_face(photos["astronaut"], role="wife")[0],
    }
    results = [
        swap_couple(image, faces, photos["obama"], photos["astronaut"], engine=backend, source_faces=sources)[0]
        for backend in (engine, paste, insightface)
    ]
    assert not np.array_equal(results[0], image)
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])


def test_each_engine_has_its_own_model_lock_and_detection_holds_it(paste, engine):
    assert paste.model_lock is not engine.model_lock
    assert engine.variant(keep_tone=False).model_lock is engine.model_lock
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    done = threading.Event()

    def detect():
        detect_faces(image, engine=engine)
        done.set()

    with engine.model_lock:
        thread = threading.Thread(target=detect)
        thread.start()
        assert not done.wait(0.5)  # waits for this engine's lock
        with paste.model_lock:  # another engine's lock does not stop it
            pass
    assert done.wait(30)
    thread.join()


def test_onnx_providers_come_from_configuration():
    assert parse_providers("") == ("auto",)
    assert parse_providers(" cuda, CPU ") == ("CUDAExecutionProvider", CPU)
    with pytest.raises(EngineError, match="Unknown ONNX execution provider 'gpu'"):
        parse_providers("gpu")
    gpu = ["TensorrtExecutionProvider", "CUDAExecutionProvider", CPU]
    assert resolve_providers(["auto"], gpu) == tuple(gpu)
    assert resolve_providers(["cuda"], gpu) == ("CUDAExecutionProvider", CPU)
    # Asked for but absent (a CPU-only onnxruntime): the CPU, never a failure.
    assert resolve_providers(["tensorrt", "cuda"], [CPU]) == (CPU,)


def test_the_insightface_backend_runs_on_the_providers_it_is_given(tmp_path):
    import onnxruntime

    from faceengine.tests.onnx_models import make_model_folder

    folder = make_model_folder(tmp_path)
    engine = get_engine("insightface", model_dir=folder, providers="cuda,cpu")
    expected = resolve_providers(["cuda", "cpu"], onnxruntime.get_available_providers())
    assert engine.providers == expected
    assert tuple(engine.swapper.session.get_providers()) == expected
    assert get_engine("insightface", model_dir=folder, providers="cpu") is not engine


def _imports(package: str) -> set[str]:
    """The faceengine modules imported by the modules of one subpackage (absolute names)."""
    found = set()
    for path in (ENGINE_DIR / package).rglob("*.py"):
        module = ["faceengine", *path.relative_to(ENGINE_DIR).with_suffix("").parts]
        if module[-1] == "__init__":
            module = module[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = module[: len(module) - node.level + (path.name == "__init__.py")] if node.level else []
                found.add(".".join([*base, *(node.module or "").split(".")]).strip("."))
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("faceengine")}


@pytest.mark.parametrize("package", ["shared", "stages", "insightface", "classic"])
def test_backends_and_stages_import_no_other_backend(package):
    others = {"classic", "insightface"} - {package}
    offending = {name for name in _imports(package) if name.split(".")[1:2] and name.split(".")[1] in others}
    assert offending == set()
