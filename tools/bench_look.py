"""`make bench`, look section: the look measures (testing/look.py) of every shared pair and demo template,
with the template itself (best possible) and a hard-edged uncorrected paste (worst) as validation rows,
and the classic engine with its mesh move switched on (ClassicEngine(mesh_move=True)) beside the default.

Run: python -m tools.bench_look [--before CHECKOUT] [--per-face]

--before renders the same cases with the engine of another checkout (e.g. a temporary worktree of an
earlier commit) in a subprocess and measures them in this run, beside this checkout's.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from faceengine import get_engine, load_image, swap_couple
from testing import look, samples
from testing.identity import descriptor
from tools.look_render import case_name, cases

RENDER = Path(__file__).with_name("look_render.py")
COLUMNS = ("yaw", "pitch", "mouth", "eyes", "foreign", "seam", "step", "sharpness", "neck", "identity")


def _render_elsewhere(checkout: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout), "FACES_TESTDATA_DIR": str(samples.faces_dir())}
    subprocess.run([sys.executable, str(RENDER), str(out)], cwd=checkout, env=env, check=True)


def measure_rows(before: Path | None) -> dict[str, list[tuple[str, str, look.FaceLook | None]]]:
    """Per method ("template", "hard paste", "before", "after"): (case, role, look) of every face."""
    engine = get_engine("classic")
    folder = samples.faces_dir()
    people = samples.people(folder)
    templates = {**samples.templates(folder, engine), **samples.demo_templates(engine)}
    sources = {name: engine.source_face(photo, role="person")[0] for name, photo in people.items()}
    source_descriptors = {name: descriptor(people[name], face.box) for name, face in sources.items()}
    rendered = {}
    if before is not None:
        folder_before = Path(tempfile.mkdtemp(prefix="look-before-"))
        _render_elsewhere(before, folder_before)
        rendered = {path.stem: load_image(path) for path in folder_before.glob("*.png")}
    rows: dict[str, list] = {"template": [], "hard paste": [], "before": [], "after": [], "mesh move": []}
    meshed = engine.variant(mesh_move=True)
    for husband, wife, name in cases(samples):
        image, faces = templates[name]
        photos = {"husband": people[husband], "wife": people[wife]}
        chosen = {"husband": sources[husband], "wife": sources[wife]}
        results = {
            "template": image,
            "hard paste": look.hard_paste(image, faces, photos, chosen),
            "after": swap_couple(image, faces, photos["husband"], photos["wife"], engine=engine)[0],
            "mesh move": swap_couple(image, faces, photos["husband"], photos["wife"], engine=meshed)[0],
        }
        key = case_name(husband, wife, name)
        if key in rendered:
            results["before"] = rendered[key]
        for role, person in (("husband", husband), ("wife", wife)):
            template_descriptor = descriptor(image, faces[role].box)
            for method, result in results.items():
                measured = look.measure(result, image, faces[role])
                if measured is not None and method != "template":
                    measured.identity, measured.recognised = look.identity(
                        result, faces[role], source_descriptors[person], template_descriptor
                    )
                rows[method].append((key, role, measured))
    return {method: found for method, found in rows.items() if found}


def _value(measured: look.FaceLook, column: str) -> float:
    value = getattr(measured, column)
    if column in ("yaw", "pitch", "mouth", "eyes", "step"):
        return abs(value)
    return math.nan if value is None else value


def summary(rows: dict) -> list[str]:
    lines = [
        "Look (per face, mean over the faces; |yaw|, |pitch| in degrees, |mouth|, |eyes| of the face's height;",
        "foreign share; seam gradient ratio and |step| in L; sharpness ratio; neck ΔE; identity distance):",
        f"{'method':<12}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'recog.':>9}{'no mesh':>9}",
    ]
    for method, found in rows.items():
        measured = [m for _, _, m in found if m is not None]
        cells = []
        for column in COLUMNS:
            values = [_value(m, column) for m in measured]
            values = [v for v in values if not math.isnan(v)]
            cells.append(f"{statistics.mean(values):>10.3f}" if values else f"{'-':>10}")
        recognised = [m.recognised for m in measured if m.recognised is not None]
        recog = f"{sum(recognised)}/{len(recognised)}" if recognised else "-"
        lines.append(f"{method:<11}{''.join(cells)}{recog:>9}{len(found) - len(measured):>9}")
    lines.append(
        f"targets: |yaw|,|pitch| <= {look.TARGETS['pose']:.0f}; |mouth|,|eyes| <= {look.TARGETS['openness']}; "
        f"foreign <= {look.TARGETS['foreign']:.0%}; seam <= {look.TARGETS['seam']}; sharpness "
        f"{look.TARGETS['sharpness'][0]}-{look.TARGETS['sharpness'][1]}; identity mean <= 0.429, every face recognised"
    )
    lines.append("")
    lines.append("Faces meeting each target (of the faces measured):")
    checks = {
        "pose": lambda m: max(abs(m.yaw), abs(m.pitch)) <= look.TARGETS["pose"],
        "openness": lambda m: max(abs(m.mouth), abs(m.eyes)) <= look.TARGETS["openness"],
        "foreign": lambda m: m.foreign <= look.TARGETS["foreign"],
        "seam": lambda m: m.seam <= look.TARGETS["seam"],
        "sharpness": lambda m: look.TARGETS["sharpness"][0] <= m.sharpness <= look.TARGETS["sharpness"][1],
    }
    lines.append(f"{'method':<12}" + "".join(f"{name:>11}" for name in checks))
    for method, found in rows.items():
        measured = [m for _, _, m in found if m is not None]
        lines.append(
            f"{method:<11}" + "".join(f"{f'{sum(map(c, measured))}/{len(measured)}':>11}" for c in checks.values())
        )
    return lines


def per_face(rows: dict) -> list[str]:
    lines = [f"{'case':<38}{'role':<8}{'method':<11}" + "".join(f"{c:>9}" for c in COLUMNS)]
    methods = list(rows)
    for index, (key, role, _) in enumerate(rows[methods[0]]):
        for method in methods:
            measured = rows[method][index][2]
            if measured is None:
                cells = f"{'no mesh':>9}"
            else:
                cells = "".join(
                    f"{getattr(measured, c):>9.3f}" if getattr(measured, c) is not None else f"{'-':>9}"
                    for c in COLUMNS
                )
            lines.append(f"{key:<38}{role:<8}{method:<11}{cells}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=None, help="a checkout whose engine gives the before row")
    parser.add_argument("--per-face", action="store_true", help="also print every face's measures")
    args = parser.parse_args(argv)
    if not samples.faces_dir().is_dir():
        print(f"The shared test photos are not at {samples.faces_dir()} (set FACES_TESTDATA_DIR).", file=sys.stderr)
        return 2
    rows = measure_rows(args.before)
    print("== Engine: the look of a swap ==")
    print("\n".join(summary(rows)))
    if args.per_face:
        print()
        print("\n".join(per_face(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
