"""The face pipeline: find faces, check they can be used, swap a couple into a template.

Pure Python over numpy/OpenCV/dlib (and onnxruntime for the optional insightface backend); it imports
nothing of Django or of the site, so it can be lifted out, tested and benchmarked on its own.

    engine = get_engine("classic")                 # models load once per process
    faces = detect_faces(template, engine=engine)  # Face objects, largest first
    result, report = swap_couple(template, {"husband": faces[0], "wife": faces[1]}, his, hers, engine=engine)

Layout: base (the Engine interface and the policy for a person's face), registry (get_engine),
couple (swap_couple), faces (Face, ROLES, the face JSON shape), errors, imageio, landmarks, util,
classic/ (dlib detection, the photo swap, drawn art), insightface/ (operator-installed ONNX models),
inventory (model files and their licence terms).
"""

from .base import Engine, face_quality
from .couple import swap_couple
from .errors import (
    EngineError,
    FaceTooSmallError,
    FaceTurnedError,
    NoFaceError,
    SeveralFacesError,
    TemplateFacesError,
    UnreadableImageError,
)
from .faces import ROLES, Face, face_json_problems
from .imageio import encode_image, load_image
from .registry import detect_faces, get_engine, model_load_count

__all__ = [
    "ROLES",
    "Engine",
    "EngineError",
    "Face",
    "FaceTooSmallError",
    "FaceTurnedError",
    "NoFaceError",
    "SeveralFacesError",
    "TemplateFacesError",
    "UnreadableImageError",
    "detect_faces",
    "encode_image",
    "face_json_problems",
    "face_quality",
    "get_engine",
    "load_image",
    "model_load_count",
    "swap_couple",
]
