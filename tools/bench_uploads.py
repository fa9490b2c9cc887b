"""Upload processing benchmark: `python -m tools.bench_uploads` (part of `make bench`).

Times `gallery.services.image_clean` (decode, orientation, colour conversion, re-encode, thumbnail), which
is the work an upload does before storing; prints a table of medians. Pictures are generated in memory.
"""

from __future__ import annotations

import io
import statistics
import time

from tools import djangosetup


def _photo_like(width: int, height: int):
    """A picture with smooth gradients and some texture, so JPEG sizes resemble a photo's."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(1)
    texture = rng.normal(0, 4, (height, width)).astype(np.float32)
    r = 128 + 90 * np.sin(x / 170.0) + texture
    g = 128 + 90 * np.cos(y / 230.0) + texture
    b = 128 + 60 * np.sin((x + y) / 300.0) + texture
    return Image.fromarray(np.clip(np.dstack([r, g, b]), 0, 255).astype(np.uint8))


def _cases():
    from PIL import Image

    def encoded(img, fmt, **params) -> bytes:
        buffer = io.BytesIO()
        img.save(buffer, fmt, **params)
        return buffer.getvalue()

    small = _photo_like(1280, 960)
    phone = _photo_like(4000, 3000)
    yield "1.2 MP JPEG", encoded(small, "JPEG", quality=90)
    yield "12 MP JPEG (phone photo)", encoded(phone, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    yield "12 MP JPEG, EXIF rotated", encoded(phone, "JPEG", quality=90, exif=exif)
    yield "6 MP PNG (screenshot size)", encoded(_photo_like(3000, 2000), "PNG")
    yield "12 MP WebP", encoded(phone, "WEBP", quality=85)
    yield "40 MP JPEG (the limit)", encoded(_photo_like(7300, 5475), "JPEG", quality=90)


def _peak_memory_mb(data: bytes) -> float:
    """Extra peak memory (MB) of cleaning one upload, measured in a fresh process (Pillow allocates in C).

    VmHWM, not ru_maxrss: the latter survives exec, so a child would report this bench's own peak.
    """
    import subprocess
    import sys
    import tempfile

    probe = (
        "import os, re, sys\n"
        "hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'faceswap_site.settings')\n"
        "import django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from gallery.services import image_clean\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = hwm()\n"
        "image_clean(file=ContentFile(data, name='x'))\n"
        "print(hwm() - before)\n"
    )
    with tempfile.NamedTemporaryFile(suffix=".img") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run([sys.executable, "-c", probe, fh.name], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main(repeats: int = 5) -> None:
    djangosetup.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile

    from gallery.services import image_clean

    print("\nUpload processing (gallery.services.image_clean): decode, orient, convert, re-encode, thumbnail")
    print(f"{'input':<28} {'in size':>9} {'stored':>9} {'median ms':>10} {'min ms':>8} {'+peak MB':>9}")
    for name, data in _cases():
        times = []
        try:
            for _ in range(repeats):
                start = time.perf_counter()
                clean = image_clean(file=ContentFile(data, name="bench"))
                times.append((time.perf_counter() - start) * 1000)
        except ValidationError as exc:
            print(f"{name:<28} {len(data) / 1e6:>7.1f}MB refused: {exc.messages[0]}")
            continue
        print(
            f"{name:<28} {len(data) / 1e6:>7.1f}MB {len(clean.data) / 1e6:>7.1f}MB "
            f"{statistics.median(times):>10.0f} {min(times):>8.0f} {_peak_memory_mb(data):>9.0f}"
        )
    print("+peak MB: how much one upload raises a fresh web process's peak memory (Pillow works in C memory).\n")


if __name__ == "__main__":
    main()
