"""The shared test photos as the tests, the benchmark and the demo sheet use them.

People's photos are the single portraits and single people cut out of the shared group pictures; the
templates are the two couple photos with their faces found once (husband and wife by position).
"""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import numpy as np

from faceengine import Face, load_image
from testing import FACES_DIR

# (husband, wife, template): every pair is checked for both faces' identity.
PAIRS = [
    ("obama", "astronaut", "closeup"),
    ("obama", "astronaut", "casual"),
    ("biden", "astronaut", "closeup"),
    ("brad", "angelina", "casual"),
    ("biden", "angelina", "casual"),
    ("obama_whitehouse", "rachel", "closeup"),
    ("ross", "monica", "casual"),
    ("obama", "monica", "closeup"),
]

# Hand-marked faces of anime_two_girls_tadne.jpg (512x512): box and the five points, insightface order.
TADNE_FACES = {
    "husband": {"box": [148, 130, 248, 225], "kps": [[175, 172], [222, 161], [200, 185], [196, 199], [212, 197]]},
    "wife": {"box": [277, 110, 357, 195], "kps": [[294, 145], [336, 140], [316, 159], [311, 171], [326, 170]]},
}

# The other shared anime pictures (512x512), marked the same way. Madoka looks over her shoulder: her face
# is turned about 40 degrees (nose tip beside her left eye) and tilted; her mouth is a small "o".
MADOKA_FACES = {
    "wife": {"box": [158, 78, 292, 224], "kps": [[191, 114], [268, 156], [192, 159], [190, 192], [199, 195]]},
}
# The large girl (right, frontal, her head tilted about 36 degrees, open smile) and the small girl behind
# (left, about 60 px, eyes closed in a grin).
MAIN_AND_BACKGROUND_FACES = {
    "husband": {"box": [108, 295, 173, 358], "kps": [[129, 322], [162, 323], [148, 335], [140, 349], [155, 348]]},
    "wife": {"box": [305, 105, 398, 208], "kps": [[326, 174], [362, 147], [343, 181], [354, 190], [375, 181]]},
}
# The drawn templates by name: file and marked faces.
DRAWN = {
    "two girls": ("anime_two_girls_tadne.jpg", TADNE_FACES),
    "madoka": ("anime_single_madoka.jpg", MADOKA_FACES),
    "main and background": ("anime_two_main_and_background_tadne.jpg", MAIN_AND_BACKGROUND_FACES),
}

# The demo templates of `manage.py seed_demo` (crops of insightface's sample picture t1.jpg, 1280x886):
# title -> (crop box, roles of the faces from left to right; None: no role). A test keeps this in step
# with seed_demo.
DEMO_CROPS = {
    "Across the table": ((20, 170, 660, 650), ("wife", None, "husband")),
    "Winning hand": ((690, 230, 1280, 700), ("husband", "wife")),
    "Table for two": ((875, 20, 1280, 520), ("husband", "wife")),
}
# More crops of t1.jpg for the hard-cases sheet, not offered as demo templates.
HARD_CROPS = {
    "Poker night (she is turned)": ((190, 100, 700, 540), ("wife", "husband")),
}


def faces_dir() -> Path:
    """FACES_TESTDATA_DIR, else ../shared/testdata/faces beside the checkout."""
    return FACES_DIR


def _cut(image: np.ndarray, box: tuple[int, int, int, int], pad: float = 0.8) -> np.ndarray:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    return np.ascontiguousarray(
        image[max(0, int(y1 - pad * h)) : int(y2 + pad * h), max(0, int(x1 - pad * w)) : int(x2 + pad * w)]
    )


def people(folder: Path) -> dict[str, np.ndarray]:
    """People's photos by name."""
    closeup = load_image(folder / "couple_man_woman_closeup.jpg")
    whitehouse = load_image(folder / "two_men_whitehouse.jpg")
    group = load_image(folder / "group_six_people.jpg")
    return {
        "obama": load_image(folder / "man_single_obama.jpg"),
        "astronaut": load_image(folder / "woman_single_astronaut.png"),
        "brad": _cut(closeup, (646, 164, 955, 474), 0.6),
        "angelina": _cut(closeup, (164, 267, 474, 577), 0.6),
        "biden": _cut(whitehouse, (711, 54, 891, 234)),
        "obama_whitehouse": _cut(whitehouse, (211, 45, 360, 194)),
        "rachel": _cut(group, (54, 227, 141, 314)),
        "monica": _cut(group, (889, 227, 976, 314)),
        "ross": _cut(group, (362, 237, 448, 323)),
    }


def templates(folder: Path, engine) -> dict[str, tuple[np.ndarray, dict[str, Face]]]:
    """The couple templates with their two largest faces, ordered left to right into roles."""

    def prepare(name: str, husband_right: bool):
        image = load_image(folder / name)
        faces = sorted(engine.detect(image)[:2], key=lambda face: face.box[0])
        roles = ("wife", "husband") if husband_right else ("husband", "wife")
        return image, dict(zip(roles, faces, strict=True))

    return {
        "closeup": prepare("couple_man_woman_closeup.jpg", husband_right=True),
        "casual": prepare("couple_man_woman_casual.jpg", husband_right=False),
    }


def drawn_template(folder: Path, name: str = "two girls") -> tuple[np.ndarray, dict[str, Face]]:
    """A drawn picture (DRAWN; anime_two_girls_tadne.jpg by default) with its hand-marked faces (no
    landmarks: the drawn-art path)."""
    filename, marks = DRAWN[name]
    image = load_image(folder / filename)
    faces = {role: Face.from_json({**data, "landmarks": None, "score": 1.0}) for role, data in marks.items()}
    return image, faces


def demo_templates(engine, crops: dict | None = None) -> dict[str, tuple[np.ndarray, dict[str, Face]]]:
    """The seed_demo templates (or other crops of t1.jpg) as the site stores them (JPEG q92), faces found
    by engine.

    t1.jpg ships inside the insightface package; nothing is copied into the repository.
    """
    from PIL import Image

    source = resources.files("insightface") / "data" / "images" / "t1.jpg"
    result = {}
    with Image.open(str(source)) as picture:
        picture = picture.convert("RGB")
        for title, (box, roles) in (DEMO_CROPS if crops is None else crops).items():
            buffer = io.BytesIO()
            picture.crop(box).save(buffer, "JPEG", quality=92)
            image = load_image(buffer.getvalue())
            faces = sorted(engine.detect(image)[: len(roles)], key=lambda face: face.box[0] + face.box[2])
            result[title] = image, {role: face for role, face in zip(roles, faces, strict=True) if role}
    return result


def scaled_template(image: np.ndarray, faces: dict[str, Face], factor: int) -> tuple[np.ndarray, dict[str, Face]]:
    """A template and its faces scaled up by a whole factor (a large template with the same content)."""
    import dataclasses

    import cv2

    height, width = image.shape[:2]
    big = cv2.resize(image, (width * factor, height * factor), interpolation=cv2.INTER_CUBIC)
    big_faces = {
        role: dataclasses.replace(face, box=face.box * factor, kps=face.kps * factor, landmarks=face.landmarks * factor)
        for role, face in faces.items()
    }
    return big, big_faces
