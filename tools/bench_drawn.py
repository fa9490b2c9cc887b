"""Drawn art keeps the person: the likeness table (testing/drawn_likeness.py): the shared people swapped onto
every face of the shared anime pictures, which of them each result picks, against chance; with --sheet, the
results enlarged (the same sheet `make demo-sheet` writes as demo-sheet-drawn.png).

Run: python -m tools.bench_drawn [--sheet artifacts/drawn-likeness.png] [--variants]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from faceengine import encode_image
from testing import drawn_likeness, samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", default=None, help="also write the enlarged results here (PNG)")
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also each person's photo transformed (mirrored, smaller, dimmer, brighter: testing.trait_variants)",
    )
    args = parser.parse_args(argv)
    if not samples.faces_dir().is_dir():
        print(f"The shared test photos are not at {samples.faces_dir()} (set FACES_TESTDATA_DIR).", file=sys.stderr)
        return 2
    likeness = drawn_likeness.measure()
    drawn_likeness.report(likeness)
    if args.variants:
        from testing.trait_variants import VARIANTS

        print("\nThe same, each person's photo transformed (picked against their own photos):")
        print(f"{'variant':<10}{'descriptor':>12}{'mean rank':>11}{'traits':>9}")
        print(
            f"{'none':<10}{likeness.top1('descriptor'):>12.0%}{likeness.mean_rank():>11.2f}{likeness.top1('traits'):>9.0%}"
        )
        for variant in VARIANTS:
            other = drawn_likeness.measure(variant=variant)
            print(
                f"{variant:<10}{other.top1('descriptor'):>12.0%}{other.mean_rank():>11.2f}{other.top1('traits'):>9.0%}"
            )
    if args.sheet:
        output = Path(args.sheet)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(encode_image(drawn_likeness.sheet(likeness), "PNG"))
        print(f"\nWrote {output}: the panel's photos on top, then each drawn face and its results.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
