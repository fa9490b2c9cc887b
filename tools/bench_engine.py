"""`make bench`, engine section: per-stage medians of one couple swap, sizes, peak memory, and the
identity measure of the classic swap methods (local, align) on the shared pairs.

Run: python -m tools.bench_engine [--runs N] [--engine classic|insightface|auto] [--insightface-dir D]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from swaps.engine import get_engine, model_load_count, swap_couple
from swaps.engine.classic import blend, pipeline
from tools import samples
from tools.identity import SAME_PERSON, descriptor, distance

STAGES = ("detect", "landmarks", "embed", "warp", "skin", "colour", "blend", "swap")


def peak_memory_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_swap(engine_name: str, insightface_dir: str | None, runs: int) -> None:
    folder = samples.faces_dir()
    start = time.perf_counter()
    engine = get_engine(engine_name, insightface_dir=insightface_dir)
    load = time.perf_counter() - start
    people = samples.people(folder)
    templates = samples.templates(folder, engine)
    template, faces = templates["closeup"]
    husband, wife = people["obama"], people["astronaut"]
    start = time.perf_counter()
    engine.detect(template)
    template_detect = time.perf_counter() - start
    totals, stages = [], {stage: [] for stage in STAGES}
    swap_couple(template, faces, husband, wife, engine=engine)  # warm caches
    for _ in range(runs):
        _, report = swap_couple(template, faces, husband, wife, engine=engine)
        totals.append(report["seconds"])
        for stage in STAGES:
            stages[stage].append(report["timings"].get(stage, 0.0))

    def size(image):
        return f"{image.shape[1]}x{image.shape[0]}"

    print(f"Engine: {engine.name}   runs: {runs}   model loads in this process: {model_load_count()}")
    print(
        f"Template couple_man_woman_closeup.jpg {size(template)} (faces known), husband man_single_obama.jpg "
        f"{size(husband)}, wife woman_single_astronaut.png {size(wife)}"
    )
    print()
    print(f"{'stage':<28}{'median s':>10}{'target':>10}")
    print(f"{'model load (once)':<28}{load:>10.3f}{'<= 2.0':>10}")
    print(f"{'template detect (once)':<28}{template_detect:>10.3f}{'':>10}")
    for stage in STAGES:
        if any(stages[stage]):
            print(f"{stage + ' (both faces)':<28}{statistics.median(stages[stage]):>10.4f}{'':>10}")
    print(f"{'total per couple':<28}{statistics.median(totals):>10.3f}{'<= 0.3':>10}")
    print(f"{'peak memory MB':<28}{peak_memory_mb():>10.0f}{'<= 500':>10}")
    bench_large(engine, template, faces, husband, wife)


def bench_large(engine, template, faces, husband, wife, runs: int = 3) -> None:
    """The same couple in the same template scaled up: the cost should stay flat as the faces grow."""
    print()
    print("The same template scaled up (faces grow with it; pipeline.MAX_WORK_FACE_PX caps the work):")
    print(f"{'template':<14}{'face px':>9}{'median s':>10}")
    for factor in (1, 2, 4, 6):
        big, big_faces = samples.scaled_template(template, faces, factor)
        times = [swap_couple(big, big_faces, husband, wife, engine=engine)[1]["seconds"] for _ in range(runs)]
        face_px = blend.face_size(big_faces["husband"].landmarks)
        print(f"{f'{big.shape[1]}x{big.shape[0]}':<14}{face_px:>9.0f}{statistics.median(times):>10.3f}")


def bench_identity(engine_name: str, insightface_dir: str | None) -> None:
    """Both faces of every shared pair, per method: recognised as the source person?"""
    folder = samples.faces_dir()
    engine = get_engine(engine_name, insightface_dir=insightface_dir)
    if engine.name != "classic":
        return
    people = samples.people(folder)
    templates = samples.templates(folder, engine)
    sources = {}
    for name, photo in people.items():
        face, _ = engine.source_face(photo, role="person")
        sources[name] = descriptor(photo, face.box)
    originals = {
        (name, role): descriptor(image, face.box)
        for name, (image, faces) in templates.items()
        for role, face in faces.items()
    }
    print()
    print("Identity (dlib descriptor distance of the swapped face to the source; < 0.6 and < distance to the")
    print("template's own face = recognised):")
    print(f"{'method':<12}{'recognised':>12}{'mean to source':>16}{'worst to source':>17}{'median s':>10}")
    default = pipeline.DEFAULT_METHOD
    rows = []
    for method in pipeline.METHODS:
        variant = engine.with_method(method)
        good, dists, times = 0, [], []
        for husband, wife, name in samples.PAIRS:
            image, faces = templates[name]
            result, report = swap_couple(image, faces, people[husband], people[wife], engine=variant)
            times.append(report["seconds"])
            for role, person in (("husband", husband), ("wife", wife)):
                swapped = descriptor(result, faces[role].box)
                to_source = distance(swapped, sources[person])
                to_original = distance(swapped, originals[(name, role)])
                dists.append(to_source)
                good += to_source < SAME_PERSON and to_source < to_original
                if method == default:
                    rows.append((f"{husband}+{wife}->{name}", role, to_source, to_original))
        print(
            f"{method:<12}{f'{good}/{2 * len(samples.PAIRS)}':>12}{statistics.mean(dists):>16.3f}"
            f"{max(dists):>17.3f}{statistics.median(times):>10.3f}"
        )
    print()
    print(f"Per face with the default method ({default}):")
    print(f"{'pair':<40}{'role':<9}{'to source':>10}{'to template':>12}")
    for pair, role, to_source, to_original in rows:
        print(f"{pair:<40}{role:<9}{to_source:>10.3f}{to_original:>12.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--engine", default="classic", choices=("auto", "classic", "insightface"))
    parser.add_argument("--insightface-dir", default=None)
    parser.add_argument("--no-identity", action="store_true", help="skip the method comparison")
    args = parser.parse_args(argv)
    if not samples.faces_dir().is_dir():
        print(f"The shared test photos are not at {samples.faces_dir()} (set FACES_TESTDATA_DIR).", file=sys.stderr)
        return 2
    print("== Engine: one couple swap ==")
    bench_swap(args.engine, args.insightface_dir, args.runs)
    if not args.no_identity:
        bench_identity(args.engine, args.insightface_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
