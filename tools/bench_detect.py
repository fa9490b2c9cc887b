"""`make bench`, person-photo detection: faces found per shared photo and per robustness variant by the
pass a person's photo goes through (detect_person, then the policy of person_faces), and how long the
verdict takes on a 12-MP photo, without a face and with a couple's faces 40 px across.

    python -m tools.bench_detect [--runs 5]

Times are medians of wall-clock and of this process's CPU seconds (the machine is shared: the CPU time
is the steadier figure); the load average is printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

import numpy as np
from PIL import Image

from faceengine import EngineError, get_engine, load_image
from testing import robustness, samples

PHOTOS = (
    "couple_man_woman_casual.jpg",
    "couple_man_woman_closeup.jpg",
    "group_six_people.jpg",
    "two_men_whitehouse.jpg",
    "man_single_obama.jpg",
    "woman_single_astronaut.png",
    "small_face_240p.jpg",
    "profile_man_camera.png",
    "noface_coffee.png",
    "anime_single_madoka.jpg",
    "anime_two_girls_tadne.jpg",
    "anime_two_main_and_background_tadne.jpg",
)


def _verdict(engine, image: np.ndarray) -> str:
    try:
        return f"{len(engine.person_faces(image))} usable"
    except EngineError as exc:
        return type(exc).__name__


def _timed(call, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of call()."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def bench_photos(engine, runs: int) -> None:
    folder = samples.faces_dir()
    print("A person's photo: faces found (sizes in px), what the photo check makes of them, median seconds")
    print(f"{'photo':<42}{'found':>6}  {'sizes':<28}{'verdict':<20}{'wall s':>7}{'cpu s':>7}")
    for name in PHOTOS:
        image = load_image(folder / name)
        faces = engine.detect_person(image)
        wall, cpu = _timed(lambda image=image: engine.detect_person(image), runs)
        sizes = ",".join(f"{face.size:.0f}" for face in faces)
        print(f"{name:<42}{len(faces):>6}  {sizes:<28}{_verdict(engine, image):<20}{wall:>7.2f}{cpu:>7.2f}")


def bench_robustness(engine) -> None:
    folder = samples.faces_dir()
    cases = robustness.cases(folder, engine)
    originals = [case for case in cases if case.variant == "original" and case.expected]
    totals: dict[str, list] = {}

    def count(case: robustness.Case) -> None:
        start = time.process_time()
        found, false = robustness.score(case, engine.detect_person(case.image))
        row = totals.setdefault(case.variant, [0, 0, 0, 0, []])
        row[0] += found
        row[1] += len(case.expected)
        row[2 if case.expected else 3] += false
        row[4].append(time.process_time() - start)

    for case in cases:
        count(case)
    for case in robustness.canvas_cases(folder, originals):
        count(case)
    print()
    print("The person pass on the robustness set (tools/robustness.py; canvas: in a 12-MP photo, smallest face")
    print("40 px; canvas group: the group's largest face 80 px): found / expected, false faces on the photos and")
    print("on the faceless pictures (coffee, 3 anime drawings, the mission patch twice), median CPU seconds")
    print(f"{'variant':<14}{'found':>9}{'false':>7}{'none':>6}{'cpu s':>8}")
    for variant, (found, expected, false, none, seconds) in totals.items():
        print(f"{variant:<14}{f'{found}/{expected}':>9}{false:>7}{none:>6}{statistics.median(seconds):>8.2f}")


def _jpeg(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def bench_12mp(engine, runs: int) -> None:
    folder = samples.faces_dir()
    background = robustness.canvas_background(folder)
    casual = load_image(folder / "couple_man_woman_casual.jpg")
    boxes = [face.box for face in engine.detect(casual, thorough=True)]
    factor = robustness.CANVAS_FACE_PX / min(float(box[2] - box[0]) for box in boxes)
    couple, _ = robustness.in_canvas(background, casual, boxes, factor, "bench")
    print()
    print(f"A 12-MP photo (4000x3000) judged by the photo check (person_faces), median of {runs};")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'photo':<44}{'wall s':>8}{'cpu s':>8}  {'target':<10}verdict")
    for label, image in (("no face", background), ("the casual couple, faces 40-48 px", couple)):
        data = _jpeg(image)
        wall, cpu = _timed(lambda image=image: _verdict(engine, image), runs)
        print(f"{label:<44}{wall:>8.2f}{cpu:>8.2f}  {'<= 1.0':<10}{_verdict(engine, image)}")
        wall, cpu = _timed(lambda data=data: _verdict(engine, load_image(data)), runs)
        print(f"{label + ', from its JPEG':<44}{wall:>8.2f}{cpu:>8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-robustness", action="store_true", help="skip the robustness set")
    args = parser.parse_args(argv)
    if not samples.faces_dir().is_dir():
        print(f"The shared test photos are not at {samples.faces_dir()} (set FACES_TESTDATA_DIR).", file=sys.stderr)
        return 2
    engine = get_engine("classic")
    engine.warm_up()
    print("== Engine: faces in a person's photo ==")
    bench_photos(engine, args.runs)
    bench_12mp(engine, args.runs)
    if not args.no_robustness:
        bench_robustness(engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
