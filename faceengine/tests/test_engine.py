"""Engine internals on images made in memory: geometry, colour, masks, the swap_couple contract."""

import cv2
import numpy as np
import pytest

from faceengine import (
    EngineError,
    Face,
    TemplateFacesError,
    face_json_problems,
    get_engine,
    model_load_count,
    swap_couple,
)
from faceengine.landmarks import LEFT_EYE, MOUTH, RIGHT_EYE
from faceengine.registry import engine_names, resolve_engine_name
from faceengine.shared import blend
from faceengine.shared.align import local_goals, piecewise_warp, similarity_transform, transform_points
from faceengine.shared.colour import match_colour, to_lab


def test_similarity_transform_recovers_a_known_rotation_scale_and_shift():
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 100, size=(20, 2))
    angle, scale, shift = np.radians(17), 1.7, np.array([30.0, -12.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = points @ (scale * rotation).T + shift
    matrix = similarity_transform(points, moved)
    assert np.allclose(transform_points(matrix, points), moved, atol=1e-3)
    assert np.allclose(matrix[:, :2], scale * rotation, atol=1e-6)


def test_match_colour_gives_a_grayscale_face_on_a_grayscale_template():
    rng = np.random.default_rng(2)
    source = np.zeros((100, 100, 3), dtype=np.uint8)
    source[..., 0] = 200
    source[..., 1] = rng.integers(90, 140, (100, 100))
    source[..., 2] = 80
    gray = rng.integers(60, 180, (100, 100)).astype(np.uint8)
    target = np.stack([gray, gray, gray], axis=-1)
    mask = np.ones((100, 100), dtype=np.float32)
    out = match_colour(source, target, mask, mask, eye_distance=40).astype(int)
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 3
    assert np.abs(out[..., 1] - out[..., 2]).max() <= 3


def _scene(a: float, b: float) -> np.ndarray:
    """A grey-card scene (grey steps under a light of CIELAB colour a, b) with a patch of orange."""
    from faceengine.shared.colour import from_lab

    lab = np.zeros((96, 96, 3), dtype=np.float32)
    lab[..., 0] = np.linspace(30, 90, 96)[None, :]
    lab[..., 1], lab[..., 2] = a, b
    lab[:20, :20] = (60, 30, 50)
    return from_lab(lab)


def test_the_light_changes_colour_along_blue_to_orange_and_hardly_to_green_or_magenta():
    from faceengine.shared.colour import CAST_AXIS, MAX_OFF_AXIS_SHIFT, tone_shift

    # A warmer template: the face is warmed (the whole difference, up to the cap).
    _, warm = tone_shift(_scene(0.0, 0.0), _scene(0.6, 3.0))
    assert np.allclose(warm, (0.6, 3.0), atol=0.4)
    # A greener one (gray-world misled by a green wall, or a grade): the face is not turned grey-green.
    _, green = tone_shift(_scene(2.5, 2.5), _scene(-1.0, 2.5))
    across = green - float(green @ CAST_AXIS) * CAST_AXIS
    assert np.linalg.norm(across) <= MAX_OFF_AXIS_SHIFT + 1e-3 and green[0] > -1.5, green


def test_face_json_round_trip_keeps_box_points_and_landmarks():
    face = Face(
        box=np.array([1, 2, 30, 40], dtype=np.float32),
        kps=np.arange(10, dtype=np.float32).reshape(5, 2),
        score=0.9,
        landmarks=np.arange(136, dtype=np.float32).reshape(68, 2),
    )
    again = Face.from_json(face.to_json())
    assert np.allclose(again.box, face.box) and np.allclose(again.kps, face.kps)
    assert np.allclose(again.landmarks, face.landmarks)
    drawn = Face.from_json({"box": [0, 0, 10, 10], "kps": face.kps.tolist(), "landmarks": None, "score": 0})
    assert drawn.landmarks is None


def test_the_face_json_validator_and_face_json_agree():
    data = {"box": [1, 2.04, 30, 40], "kps": [[5, 10], [20, 10], [12, 20], [8, 30], [22, 30.06]], "score": 0.91234}
    entry, problems = face_json_problems(data, label="Face 1", width=64, height=64)
    assert problems == [] and entry == Face.from_json(entry).to_json()
    assert entry["box"] == [1.0, 2.0, 30.0, 40.0] and entry["kps"][4] == [22.0, 30.1] and entry["score"] == 0.9123
    entry, problems = face_json_problems({**data, "kps": [[1, 1]] * 4, "role": "x"}, label="Face 2")
    assert entry is None and problems == [
        "Face 2 has unknown keys role; allowed: box, kps, landmarks, score.",
        "Face 2: kps must be five [x, y] points (left eye, right eye, nose tip, left and right mouth corner).",
    ]


def test_each_model_load_logs_one_line_with_the_pid():
    import subprocess
    import sys

    from testing import REPO_DIR

    code = """
import logging, os
logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
from faceengine import get_engine
get_engine("classic"); get_engine("classic"); get_engine("auto")
print(os.getpid())
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "models loaded" in line]
    assert len(lines) == 1 and lines[0].startswith("faceengine INFO classic engine: models loaded in ")
    assert f"(pid {done.stdout.strip()})" in lines[0]


def test_get_engine_loads_models_once_per_process():
    first = get_engine("classic")
    loads = model_load_count()
    assert get_engine("classic") is first
    assert get_engine("auto") is first  # no insightface models configured: auto is classic
    assert model_load_count() == loads >= 1
    assert first.name == "classic" and first.fork_safe


def test_warm_up_imports_what_the_first_swap_needs_and_starts_no_opencv_threads():
    import subprocess
    import sys

    from testing import REPO_DIR

    # In a fresh interpreter (this one has imported everything long ago). The worker forks after
    # warm_up, so it must not start OpenCV's thread pool: cv2 reports its threads as the pool's size
    # only once the pool runs, and the process's own thread count shows any new pool.
    code = """
import os, sys
from faceengine import get_engine
engine = get_engine("classic")
assert "scipy.spatial" not in sys.modules
before = len(os.listdir("/proc/self/task"))
engine.warm_up()
assert "scipy.spatial" in sys.modules
# scipy's own OpenBLAS may start one thread (fork-safe: OpenBLAS resets itself in a child); no more.
assert len(os.listdir("/proc/self/task")) <= before + 1, (before, os.listdir("/proc/self/task"))
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_DIR, timeout=120)


def test_unknown_engine_name_is_refused_plainly():
    assert engine_names() == ("auto", "insightface", "classic")
    with pytest.raises(EngineError, match=r"Unknown face engine 'magic'; use auto, insightface or classic\."):
        get_engine("magic")
    assert resolve_engine_name("auto", None) == "classic"


def test_swap_couple_refuses_a_template_without_both_roles():
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    face = Face(box=np.array([0, 0, 10, 10], dtype=np.float32), kps=np.zeros((5, 2), np.float32), score=1)
    with pytest.raises(TemplateFacesError, match="no wife face"):
        swap_couple(image, {"husband": face}, image, image, engine=get_engine("classic"))
    with pytest.raises(TemplateFacesError, match="no husband face"):
        swap_couple(image, {"wife": face}, image, image, engine=get_engine("classic"))


def _warm_skin(shape, rng):
    """A warm skin-coloured patch with some texture, as RGB uint8."""
    image = np.zeros((*shape, 3), dtype=np.uint8)
    image[...] = (205, 150, 120)
    return np.clip(image.astype(int) + rng.integers(-6, 7, (*shape, 1)), 0, 255).astype(np.uint8)


def test_teeth_stay_white_on_a_paler_template():
    # A warm-skinned source with white teeth onto a template with pale, less colourful skin: the teeth
    # must not turn the colour opposite to the skin (blue-green), as subtracting the skin colour did.
    rng = np.random.default_rng(3)
    source = _warm_skin((80, 80), rng)
    source[35:45, 25:55] = (235, 235, 228)  # teeth
    target = np.zeros_like(source)
    target[...] = (232, 214, 200)
    skin = np.ones((80, 80), dtype=np.float32)
    skin[35:45, 25:55] = 0.0
    out = match_colour(source, target, skin, np.ones_like(skin), eye_distance=30).astype(int)
    teeth = out[37:43, 28:52].reshape(-1, 3)
    assert teeth.min() > 200
    assert (teeth[:, 2] - teeth[:, 0]).max() <= 4 and (teeth[:, 1] - teeth[:, 0]).max() <= 4  # not blue/green


def test_a_shiny_source_is_never_brighter_than_the_templates_skin_by_much():
    rng = np.random.default_rng(4)
    source = _warm_skin((80, 80), rng)
    source[10:30, 20:60] = (255, 250, 245)  # a burnt-out forehead highlight
    target = _warm_skin((80, 80), rng)
    mask = np.ones((80, 80), dtype=np.float32)
    out = match_colour(source, target, mask, mask, eye_distance=30)

    lightness, template = to_lab(out)[..., 0], to_lab(target)[..., 0]
    # The source's highlight is L 98 on skin of L 66: it stays a highlight, rolled off, not a white patch.
    assert template.max() < lightness[15:25, 25:55].mean() <= template.max() + 8


def test_the_local_warp_moves_eyes_and_mouth_whole():
    rng = np.random.default_rng(5)
    moved = rng.uniform(50, 150, size=(68, 2)).astype(np.float32)
    target = moved + rng.uniform(-10, 10, size=(68, 2)).astype(np.float32)
    goals = local_goals(moved, target, 0.5)
    for group in (RIGHT_EYE, LEFT_EYE):
        # Same shape (a pure shift), and at least most of the way onto the template's eye.
        shift = goals[group] - moved[group]
        assert np.allclose(shift, shift[0], atol=1e-4)
        remaining = np.linalg.norm(target[group].mean(axis=0) - goals[group].mean(axis=0))
        assert remaining <= 0.31 * np.linalg.norm(target[group].mean(axis=0) - moved[group].mean(axis=0)) + 1e-4
    mouth = goals[MOUTH] - goals[MOUTH].mean(axis=0)
    original = moved[MOUTH] - moved[MOUTH].mean(axis=0)
    scale = np.linalg.norm(mouth) / np.linalg.norm(original)
    assert np.allclose(mouth, scale * original, atol=1e-3)  # scaled, never reshaped


def test_piecewise_warp_moves_points_and_refuses_to_fold():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    image[45:55, 45:55] = 255
    moved = np.array([[50, 50], [30, 30], [70, 30], [30, 70], [70, 70]], dtype=np.float32)
    goals = moved + np.array([8, 4], dtype=np.float32)
    warped = piecewise_warp(image, moved, goals)
    ys, xs = np.nonzero(warped[..., 0] > 128)
    assert abs(xs.mean() - 58) < 1.5 and abs(ys.mean() - 54) < 1.5
    crossed = moved.copy()
    crossed[0] = [80, 50]  # the centre jumps past its neighbours: the map would fold
    assert piecewise_warp(image, moved, crossed) is None


def test_the_swap_mask_keeps_the_templates_hair_but_never_half_an_eye():
    rng = np.random.default_rng(6)
    # A plausible 68-point face: dlib's mean shape scaled into a 200 px crop.
    face = _mean_face() * 120 + 40
    shape = (200, 200)
    covered = np.zeros(shape, dtype=np.uint8)
    covered[: int(face[19, 1]) - 2, :] = 1  # hair down to just above the brows
    left_eye = cv2.convexHull(face[RIGHT_EYE]).reshape(-1, 2)
    covered[int(left_eye[:, 1].min()) - 3 : int(left_eye[:, 1].max()) + 3, : int(left_eye[:, 0].max()) + 4] = 1
    mask = blend.swap_mask(shape, face, face + rng.uniform(-1, 1, face.shape).astype(np.float32), covered=covered)
    hair = covered.astype(bool).copy()
    hair[int(face[19, 1]) - 6 :, :] = False
    assert mask[hair].max() == 0.0  # the hair stays exactly the template's
    eye = blend.fill(shape, blend.eye_polygons(face)) > 0
    assert mask[eye].min() > 0.95  # both eyes wholly from the source, even under the covered strip


def _mean_face():
    """68 points in dlib's order for an average frontal face, in a unit square (rounded by hand)."""
    xs = [0.0, 0.01, 0.03, 0.06, 0.12, 0.21, 0.32, 0.44, 0.5, 0.56, 0.68, 0.79, 0.88, 0.94, 0.97, 0.99, 1.0]
    ys = [0.2, 0.33, 0.46, 0.58, 0.7, 0.8, 0.88, 0.94, 0.96, 0.94, 0.88, 0.8, 0.7, 0.58, 0.46, 0.33, 0.2]
    jaw = list(zip(xs, ys, strict=True))
    brows = [(0.1, 0.1), (0.17, 0.05), (0.26, 0.04), (0.34, 0.05), (0.42, 0.08)]
    brows += [(0.58, 0.08), (0.66, 0.05), (0.74, 0.04), (0.83, 0.05), (0.9, 0.1)]
    nose = [(0.5, 0.2), (0.5, 0.29), (0.5, 0.37), (0.5, 0.46), (0.4, 0.52), (0.45, 0.54), (0.5, 0.55)]
    nose += [(0.55, 0.54), (0.6, 0.52)]
    right_eye = [(0.18, 0.2), (0.23, 0.17), (0.3, 0.17), (0.36, 0.21), (0.3, 0.23), (0.23, 0.23)]
    left_eye = [(0.64, 0.21), (0.7, 0.17), (0.77, 0.17), (0.82, 0.2), (0.77, 0.23), (0.7, 0.23)]
    mouth = [(0.33, 0.7), (0.4, 0.66), (0.46, 0.64), (0.5, 0.65), (0.54, 0.64), (0.6, 0.66), (0.67, 0.7)]
    mouth += [(0.6, 0.75), (0.55, 0.77), (0.5, 0.78), (0.45, 0.77), (0.4, 0.75), (0.36, 0.7), (0.46, 0.69)]
    mouth += [(0.5, 0.69), (0.54, 0.69), (0.64, 0.7), (0.54, 0.72), (0.5, 0.73), (0.46, 0.72)]
    return np.array(jaw + brows + nose + right_eye + left_eye + mouth, dtype=np.float32)


def test_encode_image_keeps_alpha_in_png_and_puts_a_jpeg_on_white():
    from faceengine import encode_image, load_image

    picture = np.zeros((16, 16, 4), dtype=np.uint8)
    picture[4:12, 4:12] = (200, 40, 40, 255)
    assert np.array_equal(load_image(encode_image(picture, "PNG"), keep_alpha=True), picture)
    jpeg = load_image(encode_image(picture, "JPEG"))
    assert jpeg.shape == (16, 16, 3) and jpeg[0, 0].min() > 245


def test_cel_shading_turns_the_photos_smooth_shading_into_a_soft_step_between_two_tones():
    from faceengine.stages import drawn as acg

    # The photo's skin lightness around its mean: a smooth ramp from shade to light across the face.
    light = np.tile(np.linspace(-25, 15, 200, dtype=np.float32), (60, 1))
    shade = acg.cel_shade(light, eye_distance=60.0)[30]
    assert shade[:40].min() > 0.99 and shade[-80:].max() < 0.01  # the shadow tone, then the base tone
    assert np.all(np.diff(shade) <= 1e-4)  # the order of light and dark is kept
    assert ((shade > 0.05) & (shade < 0.95)).mean() < 0.25  # a soft step, not the photo's ramp


def test_ink_lines_are_drawn_along_the_brows_in_the_drawings_line_colour():
    from faceengine.stages import drawn as acg

    face = _mean_face() * 120 + 40
    canvas = np.full((200, 200, 3), 230, dtype=np.uint8)
    acg.ink_lines(canvas, face, np.array([60, 20, 30]), width=3)
    for brow, _ in acg.ink.INK_LINES[:2]:
        x, y = np.round(face[brow[2]]).astype(int)
        assert tuple(canvas[y, x]) == (60, 20, 30)
    assert (canvas[5:20, 5:20] == 230).all()  # nothing drawn away from the features
