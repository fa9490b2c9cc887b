"""`make bench`, engine section: per-stage medians of one couple swap, sizes, peak memory, and the
identity measure of the classic swap methods (local, align) on the shared pairs; drawn art: the couple
swap's time on the anime pictures and whom the drawn results pick (testing/drawn_likeness).

Run: python -m tools.bench_engine [--runs N] [--engine NAME] [--model-dir D]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from faceengine import engine_names, get_engine, model_load_count, swap_couple, swap_one_face
from faceengine.classic import pipeline
from faceengine.shared import blend
from testing import drawn_likeness, robustness, samples, skin_tone
from testing.identity import SAME_PERSON, descriptor, distance

STAGES = ("detect", "landmarks", "embed", "mesh", "warp", "skin", "colour", "blend", "swap", "finish")


def peak_memory_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_swap(engine_name: str, model_dir: str | None, runs: int) -> None:
    folder = samples.faces_dir()
    start = time.perf_counter()
    engine = get_engine(engine_name, model_dir=model_dir)
    load = time.perf_counter() - start
    people = samples.people(folder)
    templates = samples.templates(folder, engine)
    template, faces = templates["closeup"]
    husband, wife = people["obama"], people["astronaut"]
    start = time.perf_counter()
    engine.detect(template)
    template_detect = time.perf_counter() - start
    start = time.perf_counter()
    engine.detect(template, thorough=True)
    template_thorough = time.perf_counter() - start
    totals, stages, known_totals, known_sums = [], {stage: [] for stage in STAGES}, [], []
    swap_couple(template, faces, husband, wife, engine=engine)  # warm caches
    # The worker's path: each person's face was found when the photo was checked and is reused.
    known = {
        "husband": engine.source_face(husband, role="husband")[0],
        "wife": engine.source_face(wife, role="wife")[0],
    }
    for _ in range(runs):
        _, report = swap_couple(template, faces, husband, wife, engine=engine)
        totals.append(report["seconds"])
        for stage in STAGES:
            stages[stage].append(report["timings"].get(stage, 0.0))
        _, report = swap_couple(template, faces, husband, wife, engine=engine, source_faces=known)
        known_totals.append(report["seconds"])
        known_sums.append(sum(report["timings"].values()))

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
    print(f"{'template detect':<28}{template_detect:>10.3f}{'':>10}")
    print(f"{'template detect, thorough':<28}{template_thorough:>10.3f}{'(once)':>10}")
    for stage in STAGES:
        if any(stages[stage]):
            print(f"{stage + ' (both faces)':<28}{statistics.median(stages[stage]):>10.4f}{'':>10}")
    print(f"{'total per couple':<28}{statistics.median(totals):>10.3f}{'':>10}")
    print(f"{'  faces known: stage sum':<28}{statistics.median(known_sums):>10.3f}{'<= 0.15':>10}")
    print(f"{'  faces known: wall time':<28}{statistics.median(known_totals):>10.3f}{'<= 0.15':>10}")
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


def bench_identity(engine_name: str, model_dir: str | None) -> None:
    """Both faces of every shared pair, per method: recognised as the source person?"""
    folder = samples.faces_dir()
    engine = get_engine(engine_name, model_dir=model_dir)
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
        variant = engine.variant(method=method)
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


def bench_skin_tone(engine_name: str, model_dir: str | None) -> None:
    """Per face of every shared pair: ΔE between the swapped skin and the person's own under the
    template's light (testing/skin_tone.py), with the template face's tone (before) and the person's kept."""
    engine = get_engine(engine_name, model_dir=model_dir)
    if engine.name != "classic":
        return
    folder = samples.faces_dir()
    people = samples.people(folder)
    templates = samples.templates(folder, engine)
    print()
    print("Skin tone: ΔE (CIE76) of the swapped face's cheeks to the person's own under the template's light")
    print(f"(target <= {skin_tone.TARGET:.0f}); dL: lightness difference (negative: darker than their own).")
    print("Forehead step: how much lighter (+) or darker (-) the swap made the forehead above the brows, where")
    print("the template's skin goes on unchanged above it (CIELAB L; n/a: hair covers it).")
    print(f"{'pair':<34}{'role':<9}{'template tone':>15}{'dL':>7}{'own tone':>10}{'dL':>7}{'forehead step':>15}")
    worst = {False: [], True: []}
    steps = []
    for husband, wife, name in samples.PAIRS:
        image, faces = templates[name]
        results = {}
        for keep in (False, True):
            variant = engine.variant(keep_tone=keep)
            results[keep], _ = swap_couple(image, faces, people[husband], people[wife], engine=variant)
        for role, person in (("husband", husband), ("wife", wife)):
            source, _ = engine.source_face(people[person], role=role)
            cells = []
            for keep in (False, True):
                tone = skin_tone.tone_difference(results[keep], faces[role], people[person], source, image)
                worst[keep].append(tone["delta_e"])
                cells.append(f"{tone['delta_e']:>{15 if not keep else 10}.1f}{tone['lightness']:>+7.1f}")
            step = skin_tone.forehead_step(results[True], image, faces[role])
            if step is not None:
                steps.append(abs(step))
            cells.append(f"{'n/a' if step is None else f'{step:+.1f}':>15}")
            print(f"{f'{husband}+{wife}->{name}':<34}{role:<9}{''.join(cells)}")
    for keep, label in ((False, "template tone"), (True, "own tone (default)")):
        values = worst[keep]
        print(f"{label}: median {statistics.median(values):.1f}, worst {max(values):.1f}")
    print(f"forehead step (own tone): median |step| {statistics.median(steps):.1f}, worst {max(steps):.1f}")


def bench_drawn(engine_name: str, model_dir: str | None, runs: int, likeness: bool) -> None:
    """Drawn art: a couple (or the one marked face) swapped into each shared anime picture at its own size,
    the median seconds against the photo couple's in the same run, and whom each drawn result picks
    (testing/drawn_likeness)."""
    engine = get_engine(engine_name, model_dir=model_dir)
    folder = samples.faces_dir()
    people = samples.people(folder)
    photos = {"husband": people["obama"], "wife": people["astronaut"]}
    known = {role: engine.source_face(photo, role=role)[0] for role, photo in photos.items()}
    template, faces = samples.templates(folder, engine)["closeup"]
    cases = [("couple_man_woman_closeup.jpg (photo)", template, faces)]
    cases += [(f"{name} ({samples.DRAWN[name][0]})", *samples.drawn_template(folder, name)) for name in samples.DRAWN]
    print()
    print("Drawn art: the same couple (faces known) swapped into each anime picture, median of", runs)
    print(f"{'template':<64}{'faces':>6}{'median s':>10}{'target':>10}")
    for label, image, marked in cases:
        times = []
        for _ in range(runs + 1):
            result = image.copy()
            start = time.perf_counter()
            for role, face in marked.items():
                swap_one_face(result, face, photos[role], known[role], engine=engine, template=image)
            times.append(time.perf_counter() - start)
        print(f"{label:<64}{len(marked):>6}{statistics.median(times[1:]):>10.3f}{'<= 0.15':>10}")
    if likeness:
        print()
        drawn_likeness.report(drawn_likeness.measure(engine))


def bench_verdicts(engine_name: str, model_dir: str | None, runs: int = 3) -> None:
    """How long a person's photo takes to be judged: no face at 12 MP, a sideways photo, a turned face."""
    import cv2
    import numpy as np

    from faceengine import EngineError, load_image

    engine = get_engine(engine_name, model_dir=model_dir)
    folder = samples.faces_dir()
    coffee = load_image(folder / "noface_coffee.png")
    obama = load_image(folder / "man_single_obama.jpg")
    cases = [
        ("no face, 12 MP (4000x3000)", cv2.resize(coffee, (4000, 3000), interpolation=cv2.INTER_CUBIC), "<= 1.0"),
        ("no face, 600x400", coffee, ""),
        ("face turned away (profile)", load_image(folder / "profile_man_camera.png"), ""),
        ("upright portrait 820x1024", obama, ""),
        ("the portrait lying on its side", np.ascontiguousarray(np.rot90(obama)), ""),
    ]
    print()
    print("A person's photo judged (source_face: detection, the policy and its message), median of", runs)
    print(f"{'photo':<34}{'median s':>10}{'target':>10}  verdict")
    for label, image, target in cases:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            try:
                _, notes = engine.source_face(image, role="husband")
                verdict = "face" + (f" ({notes[0]})" if notes else "")
            except EngineError as exc:
                verdict = type(exc).__name__
            times.append(time.perf_counter() - start)
        print(f"{label:<34}{statistics.median(times):>10.2f}{target:>10}  {verdict}")


def bench_robustness(engine_name: str, model_dir: str | None) -> None:
    """Recall and false faces on the robustness set (testing/robustness.py), for the photo pass (detect)
    and the template pass (detect thorough)."""
    engine = get_engine(engine_name, model_dir=model_dir)
    cases = robustness.cases(samples.faces_dir(), engine)
    totals = {}
    for case in cases:
        for thorough in (False, True):
            start = time.perf_counter()
            faces = engine.detect(case.image, thorough=thorough)
            seconds = time.perf_counter() - start
            found, false = robustness.score(case, faces)
            row = totals.setdefault((case.variant, thorough), [0, 0, 0, 0, []])
            row[0] += found
            row[1] += len(case.expected)
            row[2] += false if case.expected else 0
            row[3] += false if not case.expected else 0
            row[4].append(seconds)
    print()
    print("Detection robustness: the shared photos transformed (every face the thorough pass finds in the")
    print("original must be found again) and pictures without a human face (coffee, 3 anime drawings, the")
    print("mission patch cut out, twice): found faces, false faces on the photos / on the faceless pictures.")
    print(f"{'':<11}{'photo pass (detect)':>32}{'template pass (thorough)':>34}")
    columns = f"{'found':>9}{'false':>8}{'none':>6}{'median s':>9}"
    print(f"{'variant':<11}{columns}{'':>3}{columns}")
    for variant in robustness.VARIANTS:
        cells = []
        for thorough in (False, True):
            found, expected, false, none, times = totals[(variant, thorough)]
            cells.append(f"{f'{found}/{expected}':>9}{false:>8}{none:>6}{statistics.median(times):>9.2f}")
        print(f"{variant:<11}{cells[0]}{'':>3}{cells[1]}")
    print("target: every face found and no false face in the template pass; the photo pass only needs the faces")
    print("a person could upload (at least 80 px, turned at most ~20 degrees in the picture).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--engine", default="classic", choices=engine_names())
    parser.add_argument("--model-dir", default=None, help="operator-installed model files (insightface's)")
    parser.add_argument("--no-identity", action="store_true", help="skip the method comparison")
    parser.add_argument("--no-robustness", action="store_true", help="skip the detection robustness set")
    parser.add_argument("--no-likeness", action="store_true", help="skip whom the drawn-art results pick")
    args = parser.parse_args(argv)
    if not samples.faces_dir().is_dir():
        print(f"The shared test photos are not at {samples.faces_dir()} (set FACES_TESTDATA_DIR).", file=sys.stderr)
        return 2
    print("== Engine: one couple swap ==")
    bench_swap(args.engine, args.model_dir, args.runs)
    if not args.no_identity:
        bench_identity(args.engine, args.model_dir)
    if not args.no_identity:
        bench_skin_tone(args.engine, args.model_dir)
    bench_drawn(args.engine, args.model_dir, args.runs, not args.no_likeness)
    bench_verdicts(args.engine, args.model_dir)
    if not args.no_robustness:
        bench_robustness(args.engine, args.model_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
