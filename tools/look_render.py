"""Render the look table's cases with the engine of the checkout this runs in, as PNG files.

Run as a file from any checkout (this one, or an older one in a temporary worktree, whose engine may
still live in swaps/engine), with that checkout on PYTHONPATH:

    cd <checkout> && PYTHONPATH=. python /path/to/tools/look_render.py OUT_DIR

It imports nothing of the checkout it lives in, only the samples (testing/ or, earlier, tools/) and the
engine of the one it runs in, so `make bench` can measure an older engine's results beside today's in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# (husband, wife, demo template title): the demo templates' cases; the shared pairs are samples.PAIRS.
DEMO_PAIRS = [
    ("brad", "astronaut", "Winning hand"),
    ("ross", "monica", "Winning hand"),
    ("obama", "astronaut", "Table for two"),
    ("biden", "angelina", "Across the table"),
]


def cases(samples) -> list[tuple[str, str, str]]:
    """(husband, wife, template name) of every case, in the table's order."""
    return [*samples.PAIRS, *DEMO_PAIRS]


def case_name(husband: str, wife: str, template: str) -> str:
    return f"{husband}+{wife}->{template}"


def render(out: Path) -> None:
    try:
        import faceengine as engine_package
    except ImportError:  # before the engine had its own floor
        from swaps import engine as engine_package
    try:
        from testing import samples
    except ImportError:  # before the shared photos moved to testing/
        from tools import samples

    engine = engine_package.get_engine("classic")
    folder = samples.faces_dir()
    people = samples.people(folder)
    templates = {**samples.templates(folder, engine), **samples.demo_templates(engine)}
    out.mkdir(parents=True, exist_ok=True)
    for husband, wife, name in cases(samples):
        image, faces = templates[name]
        result, _ = engine_package.swap_couple(image, faces, people[husband], people[wife], engine=engine)
        target = out / f"{case_name(husband, wife, name)}.png"
        target.write_bytes(engine_package.encode_image(result, "PNG"))


if __name__ == "__main__":
    render(Path(sys.argv[1]))
