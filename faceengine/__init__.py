"""The face library: find faces, check a person's photo, swap a couple into a template. Its public API is
what this module exports; everything else is the library's own.

Pure Python over numpy/OpenCV/dlib (and onnxruntime for ONNX backends); it imports nothing of Django or
of the site and reads no settings (the site passes its configuration in), so it can be lifted out,
tested and benchmarked on its own.

    engine = get_engine("classic")                 # models load once per process
    faces = detect_faces(template, engine=engine)  # Face objects, largest first
    result, report = swap_couple(template, {"husband": faces[0], "wife": faces[1]}, his, hers, engine=engine)

Layout: base (the Engine interface, what a backend declares, the one policy for a person's face),
registry (BACKENDS: name -> class; get_engine), providers (ONNX execution providers), couple
(swap_couple), stages/ (what runs after any backend's swap: drawn/ paints drawn-art faces), shared/
(what backends and stages share: dlib detection and landmarks, alignment, skin, colour, blending),
classic/ (the offline backend's photo swap), insightface/ (operator-installed ONNX models), faces (Face,
ROLES, the face JSON shape), errors, imageio, landmarks, util.
"""

from .base import CAPABILITIES, Engine, EngineConfig, ModelFile, face_quality
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
from .registry import (
    BACKENDS,
    detect_faces,
    engine_model_files,
    engine_names,
    get_engine,
    model_load_count,
    resolve_engine_name,
)
from .stages import STAGES, FaceWork, Stage, swap_one_face

__all__ = [
    "BACKENDS",
    "CAPABILITIES",
    "ROLES",
    "STAGES",
    "Engine",
    "EngineConfig",
    "EngineError",
    "Face",
    "FaceTooSmallError",
    "FaceTurnedError",
    "FaceWork",
    "ModelFile",
    "NoFaceError",
    "SeveralFacesError",
    "Stage",
    "TemplateFacesError",
    "UnreadableImageError",
    "detect_faces",
    "encode_image",
    "engine_model_files",
    "engine_names",
    "face_json_problems",
    "face_quality",
    "get_engine",
    "load_image",
    "model_load_count",
    "resolve_engine_name",
    "swap_couple",
    "swap_one_face",
]
