"""Render the cases of the faults sheet (tools/faults_sheet.py) with the engine of the checkout this runs
in: the drawn-art swaps as PNG files and what the photo check finds in the couple and group photos as
faces.json.

Run as a file from any checkout (this one, or an older one in a temporary worktree, whose engine may
still live in swaps/engine), with that checkout on PYTHONPATH:

    cd <checkout> && PYTHONPATH=. python /path/to/tools/faults_render.py OUT_DIR

Like look_render, it imports nothing of the checkout it lives in, so `make demo-sheet` can show an older
engine's results beside today's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# (drawing, husband, wife): drawn art, every marked face of the drawing swapped (a drawing with only one
# marked face takes the wife's photo there).
DRAWN_CASES = [
    ("two girls", "obama", "astronaut"),
    ("two girls", "brad", "angelina"),
    ("madoka", "obama", "astronaut"),
    ("madoka", "obama", "angelina"),
    ("main and background", "obama", "monica"),
    ("main and background", "biden", "rachel"),
]
# The person photos whose faces the photo check must find (each face, and nothing else).
PHOTOS = ("couple_man_woman_casual.jpg", "group_six_people.jpg")


def drawn_name(drawing: str, husband: str, wife: str) -> str:
    return f"{drawing}-{husband}+{wife}".replace(" ", "_")


def render(out: Path) -> None:
    try:
        import faceengine as engine_package
    except ImportError:  # before the engine had its own floor
        from swaps import engine as engine_package
    try:
        from testing import samples
    except ImportError:  # before the shared photos moved to testing/
        from tools import samples

    engine = engine_package.get_engine("classic")
    folder = samples.faces_dir()
    people = samples.people(folder)
    out.mkdir(parents=True, exist_ok=True)
    for drawing, husband, wife in DRAWN_CASES:
        image, faces = samples.drawn_template(folder, drawing)
        photos = {"husband": people[husband], "wife": people[wife]}
        if all(role in faces for role in photos):
            result, _ = engine_package.swap_couple(image, faces, photos["husband"], photos["wife"], engine=engine)
        else:  # one marked face: the engine's own one-face swap where it has one, else the backend's
            result = image.copy()
            swap_one = getattr(engine_package, "swap_one_face", None)
            for role, face in faces.items():
                source, _ = engine.source_face(photos[role], role=role)
                if swap_one is not None:
                    swap_one(result, face, photos[role], source, engine=engine, template=image)
                else:
                    engine.swap_face(result, face, photos[role], source)
        target = out / f"{drawn_name(drawing, husband, wife)}.png"
        target.write_bytes(engine_package.encode_image(result, "PNG"))
    found = {}
    for name in PHOTOS:
        photo = engine_package.load_image(folder / name)
        try:
            faces = engine.person_faces(photo)
        except engine_package.EngineError as exc:
            found[name] = {"boxes": [], "notes": [], "message": exc.message}
            continue
        quality = getattr(engine_package, "face_quality", lambda face: [])  # what to expect of each face
        found[name] = {
            "boxes": [[float(v) for v in face.box] for face in faces],
            "notes": [quality(face) for face in faces],
            "message": "",
        }
    (out / "faces.json").write_text(json.dumps(found))


if __name__ == "__main__":
    render(Path(sys.argv[1]))
