"""The content gate's labelled set of safe pictures: what the gate must never refuse.

Built from what is on this machine, with nothing explicit anywhere in the repository: the shared photos
and anime pictures, the demo templates (crops of insightface's t1.jpg), a few other pictures shipped in
installed packages (scikit-image's samples, insightface's), the robustness transforms of them, and
skin-heavy safe pictures made from the shared people: tight face close-ups (skin fills the frame), the
same people with their clothes recoloured to their own skin tone (bare shoulders and chest, as in beach or
swimwear pictures), and those on a beach of sand, sea and sky. Each is labelled "safe" by construction.

The unsafe side is not built here: it rests on the chosen model's documented evaluation, and the refusal
path is tested by setting the threshold below a safe picture's measured score.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from faceengine import load_image
from testing import robustness, samples

# The groups of the set, in the order the bench prints them.
GROUPS = ("shared photo", "anime", "demo template", "package picture", "transformed", "skin-heavy", "12 MP")
PACKAGE_PICTURES = {
    "skimage": ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "camera.png"),
    "insightface": ("t1.jpg", "Tom_Hanks_54745.png", "mask_white.jpg", "mask_blue.jpg"),
}
TRANSFORMS = ("grayscale", "dark", "blur", "jpeg30", "rot15", "small")
# The faces of the shared photos (boxes found once by the engine's detection; samples.people cuts the
# same ones), for the close-ups and the skin-toned versions.
PHOTO_FACES = {
    "man_single_obama.jpg": [(328, 137, 543, 352)],
    "woman_single_astronaut.png": [(179, 83, 266, 170)],
    "couple_man_woman_closeup.jpg": [(646, 164, 955, 474), (164, 267, 474, 577)],
    "couple_man_woman_casual.jpg": [(150, 45, 237, 131), (261, 277, 333, 349)],
    "two_men_whitehouse.jpg": [(711, 54, 891, 234), (211, 45, 360, 194)],
    "group_six_people.jpg": [(54, 227, 141, 314), (889, 227, 976, 314), (362, 237, 448, 323)],
}


@dataclass
class SafePicture:
    name: str
    group: str
    image: np.ndarray  # RGB uint8


def _package_file(package: str, name: str) -> Path:
    folder = resources.files(package) / ("data" if package == "skimage" else "data/images")
    return Path(str(folder / name))


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def shared_pictures(folder: Path) -> list[SafePicture]:
    """Every shared picture (the photos and the anime drawings)."""
    result = []
    for path in sorted([*folder.glob("*.jpg"), *folder.glob("*.png")]):
        group = "anime" if path.name.startswith("anime_") else "shared photo"
        result.append(SafePicture(path.name, group, load_image(path)))
    return result


def demo_pictures() -> list[SafePicture]:
    """The seed_demo templates (as stored) and other pictures that ship inside installed packages."""
    from PIL import Image

    result = []
    source = _package_file("insightface", "t1.jpg")
    with Image.open(source) as picture:
        picture = np.asarray(picture.convert("RGB"))
    for title, ((x1, y1, x2, y2), _) in samples.DEMO_CROPS.items():
        result.append(SafePicture(title, "demo template", np.ascontiguousarray(picture[y1:y2, x1:x2])))
    for package, names in PACKAGE_PICTURES.items():
        for name in names:
            with Image.open(_package_file(package, name)) as picture:
                result.append(
                    SafePicture(f"{package}/{name}", "package picture", _rgb(np.asarray(picture.convert("RGB"))))
                )
    return result


def transformed(pictures: list[SafePicture]) -> list[SafePicture]:
    """The robustness transforms (testing.robustness) of every shared picture and demo template."""
    result = []
    for picture in pictures:
        if picture.group not in ("shared photo", "anime", "demo template"):
            continue
        for name in TRANSFORMS:
            image, _ = robustness.variant(picture.image, [], name)
            result.append(SafePicture(f"{picture.name} {name}", "transformed", np.ascontiguousarray(image)))
    return result


def _skin_tone(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The median colour of the middle of a face (cheeks and nose: skin)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    patch = image[int(y1 + 0.45 * h) : int(y1 + 0.75 * h), int(x1 + 0.25 * w) : int(x2 - 0.25 * w)]
    return np.median(patch.reshape(-1, 3), axis=0)


def skin_toned(image: np.ndarray, box: tuple[int, int, int, int], keep: list[tuple] = ()) -> np.ndarray:
    """The person with everything below the chin (clothes, shoulders) in their own skin tone, its shading
    kept: a bare-shouldered, skin-heavy picture that shows nothing explicit. Faces in `keep` (the other
    people's heads) are left as they are."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    top = min(image.shape[0], int(y2 + 0.25 * h))
    left, right = max(0, int(x1 - 1.4 * w)), min(image.shape[1], int(x2 + 1.4 * w))
    mask = np.zeros(image.shape[:2], np.float32)
    mask[top:, left:right] = 1.0
    for kx1, ky1, kx2, ky2 in keep:
        kw, kh = kx2 - kx1, ky2 - ky1
        mask[max(0, int(ky1 - 0.6 * kh)) : int(ky2 + 0.25 * kh), max(0, int(kx1 - 0.3 * kw)) : int(kx2 + 0.3 * kw)] = 0
    mask = cv2.GaussianBlur(mask, (0, 0), 2.0)[:, :, None]
    light = image.astype(np.float32).mean(axis=2, keepdims=True)
    # Shading from the clothes' own light and dark, around the skin tone's brightness.
    shade = 0.75 + 0.5 * (light - light.min()) / max(1.0, float(light.max() - light.min()))
    skin = np.clip(_skin_tone(image, box)[None, None, :] * shade, 0, 255)
    return (image * (1 - mask) + skin * mask).round().astype(np.uint8)


def beach(person: np.ndarray) -> np.ndarray:
    """A person on a beach: sky, sea and sand around them, the picture twice their width."""
    height, width = person.shape[:2]
    canvas = np.zeros((height, width * 2, 3), np.float32)
    rows = np.linspace(0, 1, height)[:, None]
    sky, sea, sand = np.array([150, 200, 240]), np.array([40, 110, 170]), np.array([225, 200, 160])
    canvas[:] = np.where(rows[..., None] < 0.35, sky, np.where(rows[..., None] < 0.55, sea, sand))
    canvas = canvas + np.random.default_rng(1).normal(0, 4, canvas.shape)
    canvas[:, width // 2 : width // 2 + width] = person
    return np.clip(canvas, 0, 255).round().astype(np.uint8)


def skin_heavy(folder: Path) -> list[SafePicture]:
    """Close-ups of every face, and each photo with its people's clothes in their skin tone, as it is and
    on a beach."""
    result = []
    for filename, boxes in PHOTO_FACES.items():
        image = load_image(folder / filename)
        stem = filename.rsplit(".", 1)[0]
        toned = image
        for n, (x1, y1, x2, y2) in enumerate(boxes, start=1):
            w, h = x2 - x1, y2 - y1
            close = image[max(0, int(y1 - 0.1 * h)) : int(y2 + 0.1 * h), max(0, int(x1 - 0.1 * w)) : int(x2 + 0.1 * w)]
            size = (512, max(1, round(512 * close.shape[0] / max(1, close.shape[1]))))
            close = cv2.resize(close, size, interpolation=cv2.INTER_CUBIC)
            result.append(SafePicture(f"{stem} face {n} close-up", "skin-heavy", np.ascontiguousarray(close)))
            toned = skin_toned(toned, (x1, y1, x2, y2), keep=[other for other in boxes if other != (x1, y1, x2, y2)])
        result.append(SafePicture(f"{stem} skin-toned", "skin-heavy", toned))
        result.append(SafePicture(f"{stem} on a beach", "skin-heavy", beach(toned)))
    return result


def safe_set(folder: Path) -> list[SafePicture]:
    """The whole labelled safe set except the 12-MP pictures (see twelve_megapixel)."""
    base = [*shared_pictures(folder), *demo_pictures()]
    return [*base, *transformed(base), *skin_heavy(folder)]


def twelve_megapixel(pictures: list[SafePicture], names: tuple[str, ...]) -> Iterator[SafePicture]:
    """Some pictures enlarged to 12 MP (4000x3000 or 3000x4000), one at a time (36 MB each)."""
    for picture in pictures:
        if picture.name not in names:
            continue
        height, width = picture.image.shape[:2]
        size = (4000, 3000) if width >= height else (3000, 4000)
        yield SafePicture(
            f"{picture.name} at 12 MP", "12 MP", cv2.resize(picture.image, size, interpolation=cv2.INTER_CUBIC)
        )
