"""Engine internals on images made in memory: geometry, colour, masks, the swap_couple contract."""

import numpy as np
import pytest

from swaps.engine import Face, TemplateFacesError, get_engine, model_load_count, swap_couple
from swaps.engine.align import similarity_transform, transform_points
from swaps.engine.colour import masked_blur, match_colour
from swaps.engine.engines import ENGINE_NAMES, resolve_engine_name
from swaps.engine.types import EngineError


def test_similarity_transform_recovers_a_known_rotation_scale_and_shift():
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 100, size=(20, 2))
    angle, scale, shift = np.radians(17), 1.7, np.array([30.0, -12.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = points @ (scale * rotation).T + shift
    matrix = similarity_transform(points, moved)
    assert np.allclose(transform_points(matrix, points), moved, atol=1e-3)
    assert np.allclose(matrix[:, :2], scale * rotation, atol=1e-6)


def test_masked_blur_ignores_pixels_outside_the_mask():
    image = np.full((120, 120, 3), 50.0, dtype=np.float32)
    image[:, 60:] = 250.0  # "hair" on the right
    mask = np.zeros((120, 120), dtype=np.float32)
    mask[:, :60] = 1.0
    blurred = masked_blur(image, mask, sigma=20.0)
    # Inside the mask, even next to the bright region, the blur only sees the masked pixels.
    assert np.abs(blurred[:, :55] - 50.0).max() < 1.0


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


def test_get_engine_loads_models_once_per_process():
    first = get_engine("classic")
    loads = model_load_count()
    assert get_engine("classic") is first
    assert get_engine("auto") is first  # no insightface models configured: auto is classic
    assert model_load_count() == loads >= 1
    assert first.name == "classic" and first.fork_safe


def test_unknown_engine_name_is_refused_plainly():
    assert ENGINE_NAMES == ("auto", "classic", "insightface")
    with pytest.raises(EngineError, match="Unknown face engine 'magic'"):
        get_engine("magic")
    assert resolve_engine_name("auto", None) == "classic"


def test_swap_couple_refuses_a_template_without_both_roles():
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    face = Face(box=np.array([0, 0, 10, 10], dtype=np.float32), kps=np.zeros((5, 2), np.float32), score=1)
    with pytest.raises(TemplateFacesError, match="no wife face"):
        swap_couple(image, {"husband": face}, image, image, engine=get_engine("classic"))
    with pytest.raises(TemplateFacesError, match="no husband face"):
        swap_couple(image, {"wife": face}, image, image, engine=get_engine("classic"))
