"""A web worker's memory by stage: `python -m tools.web_memory [--before <checkout>]`.

One fresh process per checkout loads the WSGI application as gunicorn's worker does, then answers
`/healthz` and the gallery through Django's test client, and prints its resident memory (VmRSS) after each
step and whether boto3 was loaded. With the environment's settings: set STORAGE_BACKEND=s3 and the AWS_*
variables to see what the S3 client adds (the storage need not answer: the client is made either way).
`--before` runs the same in a checkout of an earlier commit, in the same run, for comparison.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

_CHILD = "FACESWAP_WEB_MEMORY_CHILD"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _measure() -> str:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceswap_site.settings")
    started = time.perf_counter()
    from faceswap_site.wsgi import application  # noqa: F401  (what a gunicorn worker loads)

    loaded = time.perf_counter() - started
    steps = [f"after start {_rss_mb():.0f} MB ({loaded:.1f} s, boto3 {'boto3' in sys.modules})"]
    from django.test import Client

    client = Client()
    for path in ("/healthz", "/"):
        status = client.get(path).status_code
        steps.append(f"after {path} ({status}) {_rss_mb():.0f} MB (boto3 {'boto3' in sys.modules})")
    return "; ".join(steps)


def main() -> None:
    if os.environ.get(_CHILD):
        print(_measure())
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="", help="a checkout of an earlier commit, measured in the same run")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    for label, folder in [("before", Path(args.before)), ("this checkout", here)] if args.before else [("", here)]:
        result = subprocess.run(
            [sys.executable, "-m", "tools.web_memory"] if folder == here else [sys.executable, str(Path(__file__))],
            cwd=folder,
            env={**os.environ, _CHILD: "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in result.stdout.splitlines() if line.startswith("after start")]
        print(f"{label or 'web worker'}: {lines[-1] if lines else result.stderr[-2000:]}")


if __name__ == "__main__":
    main()
