"""Content gate benchmark: `python -m tools.bench_content` (part of `make bench`).

Runs both classifiers the gate can use (gallery/content_gate.py) over the labelled safe set
(testing/content_set.py: the shared photos, the anime pictures, the demo templates, pictures shipped in
installed packages, their robustness transforms, skin-heavy pictures made from the shared people) and prints
each picture's score and verdict under each model's default thresholds, then per group the highest score and
the false refusals and holds (every picture of the set is safe), then the time per picture at 12 MP.

Times are given as CPU time of the check (the process's, with one ONNX thread: what one check costs whatever
else runs on the machine) and as wall time (what a request waited, on a shared machine); medians.
`--quiet` prints the summary only.
"""

from __future__ import annotations

import argparse
import statistics
import time

from tools import djangosetup

MODELS = ("nudenet", "opennsfw")
TWELVE_MP = ("couple_man_woman_closeup.jpg", "anime_two_main_and_background_tadne.jpg", "Winning hand")


def _timed(check, picture, model: str, repeats: int) -> tuple[object, float, float]:
    cpu, wall = [], []
    verdict = None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        verdict = check(picture, model=model)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return verdict, statistics.median(cpu) * 1000, statistics.median(wall) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    parser.add_argument("--repeats", type=int, default=5, help="checks per 12-MP picture (median)")
    args = parser.parse_args()

    djangosetup.setup()
    from django.conf import settings

    from gallery.content_gate import content_check, content_model, thresholds
    from testing import content_set, require_faces_dir

    settings.CONTENT_GATE_THREADS = 1
    folder = require_faces_dir()
    for model in MODELS:
        content_model(model)  # loaded before timing
    pictures = content_set.safe_set(folder)
    limits = {model: thresholds(model) for model in MODELS}
    print("\nContent gate: the labelled safe set (every picture is safe; a refusal or a hold is a false one)")
    print("thresholds (refuse at / hold at): " + ", ".join(f"{m} {r:.2f} / {h:.2f}" for m, (r, h) in limits.items()))
    if not args.quiet:
        print(f"{'group':<16} {'picture':<52} {'size':>10} " + " ".join(f"{m:>18}" for m in MODELS))
    rows = []
    for picture in pictures:
        verdicts = {model: content_check(picture.image, model=model) for model in MODELS}
        rows.append((picture, verdicts))
        if not args.quiet:
            height, width = picture.image.shape[:2]
            cells = " ".join(f"{v.score:>7.3f} {v.verdict:<10}" for v in verdicts.values())
            print(f"{picture.group:<16} {picture.name[:52]:<52} {f'{width}x{height}':>10} {cells}")

    print(
        f"\n{'group':<16} {'pictures':>8} " + " ".join(f"{m + ' max':>14} {'refused':>7} {'held':>5}" for m in MODELS)
    )
    for group in content_set.GROUPS:
        members = [verdicts for picture, verdicts in rows if picture.group == group]
        if not members:
            continue
        cells = []
        for model in MODELS:
            scores = [v[model] for v in members]
            cells.append(
                f"{max(v.score for v in scores):>14.3f} {sum(v.refused for v in scores):>7} "
                f"{sum(v.borderline for v in scores):>5}"
            )
        print(f"{group:<16} {len(members):>8} " + " ".join(cells))
    for model in MODELS:
        worst = max(rows, key=lambda row: row[1][model].score)
        print(f"{model}: highest score {worst[1][model].score:.3f} on {worst[0].group} “{worst[0].name}”")

    print(f"\nTime per picture at 12 MP (median of {args.repeats}; one ONNX thread)")
    print(f"{'picture':<52} " + " ".join(f"{m + ' cpu ms':>16} {'wall ms':>8} {'score':>6}" for m in MODELS))
    all_cpu = {model: [] for model in MODELS}
    for picture in content_set.twelve_megapixel([p for p, _ in rows], TWELVE_MP):
        cells = []
        for model in MODELS:
            verdict, cpu, wall = _timed(content_check, picture.image, model, args.repeats)
            all_cpu[model].append(cpu)
            cells.append(f"{cpu:>16.0f} {wall:>8.0f} {verdict.score:>6.3f}")
        print(f"{picture.name[:52]:<52} " + " ".join(cells))
    print(
        "median CPU ms per 12-MP picture: "
        + ", ".join(f"{m} {statistics.median(v):.0f}" for m, v in all_cpu.items())
        + " (target at most 150)\n"
    )


if __name__ == "__main__":
    main()
