"""A forked swap job starts warm: what its worker paid once before forking, the job does not pay again.

Every forked work horse loses at its exit whatever it imported or built for the first time, so a lazy
import on a job's path is paid again by every job (imagehash and scipy's FFT cost 0.17 s per swap that way,
make bench-worker). Here a fresh process does what a swap worker does before its first fork
(swaps.worker.warm_job_path, after Django's set-up), then what a job does after the engine: the invisible
mark, the stored copy and thumbnail, the signed manifest. It must import nothing new.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

SCRIPT = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceswap_site.settings")
import django
django.setup()
import numpy as np
from PIL import Image as PILImage
import swaps.worker
from gallery.services import decoding, storage
from swaps.provenance import signing, watermark

picture = np.random.default_rng(0).integers(0, 255, (480, 640, 3)).astype("uint8")
swaps.worker.warm_job_path()
before = set(sys.modules)
marked = watermark.embed(picture, watermark.new_public_id(), order="rgb")
clean = decoding.image_encode(
    PILImage.fromarray(marked), original_format="generated", original_mode="RGB", lossless=False, notes=[],
    with_phash=False,
)
signed = signing.sign(clean.data, clean.stored_format, template=clean.data, template_format="JPEG", template_title="t")
print(json.dumps({"new": sorted(set(sys.modules) - before), "signed": len(signed) > len(clean.data)}))
"""


def test_a_forked_job_imports_nothing_its_worker_could_have_imported_before_forking(tmp_path):
    env = {**os.environ, "C2PA_DEV_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "faceswap_site.settings"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["signed"]
    assert result["new"] == [], "a job would import these in every forked horse: " + ", ".join(result["new"])
