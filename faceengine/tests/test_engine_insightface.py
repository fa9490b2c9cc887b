"""The insightface backend's real loading, routing and swap code, on small generated ONNX models."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from faceengine import EngineError, Face, get_engine, model_load_count, swap_couple
from faceengine.insightface.engine import InsightFaceEngine, _insightface_face
from faceengine.insightface.files import find_models
from faceengine.registry import engine_config, resolve_engine_name
from faceengine.tests.onnx_models import make_model_folder


def photo_with_face(x: int, y: int, colour=(255, 255, 255)) -> np.ndarray:
    """A dark 640x480 picture with the test detector's "face": a 32 px square on the 32 px grid."""
    image = np.zeros((480, 640, 3), dtype=np.uint8)
    image[y : y + 32, x : x + 32] = colour
    return image


def template_faces() -> dict[str, Face]:
    def face(x):
        kps = np.array([[x + 40, 100], [x + 90, 100], [x + 65, 125], [x + 45, 150], [x + 85, 150]], np.float32)
        # Detected photo faces carry 68 landmarks (drawn-art faces have none and go to the drawn-art
        # stage); the inswapper itself reads only the five points.
        landmarks = np.repeat(kps, [14, 14, 14, 13, 13], axis=0)
        return Face(box=np.array([x, 50, x + 128, 178], np.float32), kps=kps, score=1.0, landmarks=landmarks)

    return {"husband": face(50), "wife": face(350)}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("insightface"))


@pytest.fixture(scope="module")
def engine(model_dir):
    return InsightFaceEngine(engine_config(model_dir=model_dir))


def test_files_are_found_and_routed_by_insightface(model_dir, engine):
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.model_zoo.inswapper import INSwapper
    from insightface.model_zoo.scrfd import SCRFD

    files = find_models(model_dir)
    assert files.complete and files.swapper.name == "inswapper_128.onnx" and files.pack.name == "buffalo_test"
    assert isinstance(engine.detector, SCRFD) and engine.detector.use_kps
    assert isinstance(engine.recogniser, ArcFaceONNX)
    assert isinstance(engine.swapper, INSwapper)
    # The emap is the graph's last initializer.
    last = onnx.load(str(files.swapper)).graph.initializer[-1]
    assert last.name == "emap" and np.array_equal(engine.swapper.emap, numpy_helper.to_array(last))
    assert engine.name == "insightface" and engine.fork_safe is False


def test_detection_finds_the_faces_largest_first_with_five_points(engine):
    image = photo_with_face(96, 96)
    image[192:224, 416:448] = 255
    faces = engine.detect(image)
    assert [face.box.tolist() for face in faces] == [[32, 32, 160, 160], [352, 128, 480, 256]]
    assert faces[0].kps.shape == (5, 2) and faces[0].score > 0.9
    assert faces[0].landmarks.shape == (68, 2)


def test_source_face_carries_a_float32_embedding(engine):
    face, notes = engine.source_face(photo_with_face(96, 96), role="wife")
    assert face.embedding.dtype == np.float32 and face.embedding.shape == (512,)
    assert notes == []


def test_insightface_itself_refuses_a_float64_embedding_which_the_engine_converts(engine):
    photo = photo_with_face(96, 96)
    source, _ = engine.source_face(photo, role="husband")
    target = template_faces()["husband"]
    canvas = np.full((400, 600, 3), 90, dtype=np.uint8)
    wrong = _insightface_face(source)
    wrong["embedding"] = wrong.embedding.astype(np.float64)
    with pytest.raises(Exception, match=r"(?i)double|float64|type"):
        engine.swapper.get(canvas[..., ::-1].copy(), _insightface_face(target), wrong, paste_back=True)
    source.embedding = source.embedding.astype(np.float64)
    engine.swap_face(canvas, target, photo, source)
    assert (canvas != 90).any()


def test_swap_couple_changes_only_the_faces_and_follows_the_source(engine):
    template = np.full((400, 600, 3), 90, dtype=np.uint8)
    faces = template_faces()
    white, cream = photo_with_face(96, 96), photo_with_face(96, 96, colour=(255, 255, 160))
    result, report = swap_couple(template, faces, white, cream, engine=engine)
    assert report["engine"] == "insightface"
    assert [face["role"] for face in report["faces"]] == ["husband", "wife"]
    assert report["faces"][0]["source_box"] == [32.0, 32.0, 160.0, 160.0]
    changed = np.abs(result.astype(int) - template.astype(int)).max(axis=2) > 0
    ys, _ = np.nonzero(changed)
    assert ys.min() >= 20 and ys.max() <= 210  # around the two 128 px target boxes only
    for face in faces.values():
        x1, y1, x2, y2 = face.box.astype(int)
        assert changed[y1:y2, x1:x2].mean() > 0.3
    # A different person (embedding) gives a different face.
    husband = result[60:170, 60:170].astype(int)
    wife = result[60:170, 360:470].astype(int)
    assert np.abs(husband.mean(axis=(0, 1)) - wife.mean(axis=(0, 1))).max() > 2


def test_a_swapper_with_its_inputs_in_the_wrong_order_is_not_routed(tmp_path):
    folder = make_model_folder(tmp_path, source_first=True)
    with pytest.raises(EngineError, match="No swapper model was recognised"):
        InsightFaceEngine(engine_config(model_dir=folder))


def test_missing_files_are_reported_plainly(tmp_path):
    with pytest.raises(EngineError, match="insightface model files are not in"):
        InsightFaceEngine(engine_config(model_dir=tmp_path))
    assert resolve_engine_name("auto", engine_config(model_dir=tmp_path)) == "classic"


def test_auto_selects_insightface_when_its_files_are_there_and_loads_once(tmp_path):
    folder = make_model_folder(tmp_path / "models")
    assert resolve_engine_name("auto", engine_config(model_dir=folder)) == "insightface"
    before = model_load_count()
    engine = get_engine("auto", model_dir=folder)
    assert engine.name == "insightface" and model_load_count() == before + 1
    assert get_engine("insightface", model_dir=folder) is engine
    assert model_load_count() == before + 1
