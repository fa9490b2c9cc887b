"""Where an operator's insightface model files are (only file names; nothing is loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ModelFiles:
    """What was found in an insightface folder."""

    root: Path
    swapper: Path | None = None
    pack: Path | None = None
    pack_files: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.swapper is not None and bool(self.pack_files)


def find_models(root: str | Path) -> ModelFiles:
    """The swapper (a top-level .onnx file) and the first pack folder holding .onnx files.

    Only looks at file names; nothing is loaded.
    """
    root = Path(root).expanduser()
    found = ModelFiles(root=root)
    if not root.is_dir():
        return found
    top = sorted(root.glob("*.onnx"))
    swappers = [path for path in top if "swap" in path.name.lower()]
    found.swapper = (swappers or top or [None])[0]
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        files = sorted(folder.glob("*.onnx"))
        if files:
            found.pack, found.pack_files = folder, files
            break
    return found
