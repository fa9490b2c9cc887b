"""The face pipeline: find faces, check they can be used, swap a couple into a template.

Pure Python over numpy/OpenCV/dlib/onnxruntime; no Django imports, so it can be tested and benchmarked
on its own. The public vocabulary is re-exported here.
"""

from .classic import ClassicDetector, Pose, estimate_pose
from .engines import Engine, get_engine, model_load_count
from .imageio import encode_image, load_image
from .swap import ROLES, swap_couple
from .types import (
    EngineError,
    Face,
    FaceTooSmallError,
    FaceTurnedError,
    NoFaceError,
    SeveralFacesError,
    TemplateFacesError,
    UnreadableImageError,
)

__all__ = [
    "ROLES",
    "ClassicDetector",
    "Engine",
    "EngineError",
    "Face",
    "FaceTooSmallError",
    "FaceTurnedError",
    "NoFaceError",
    "Pose",
    "SeveralFacesError",
    "TemplateFacesError",
    "UnreadableImageError",
    "encode_image",
    "estimate_pose",
    "get_engine",
    "load_image",
    "model_load_count",
    "swap_couple",
]
