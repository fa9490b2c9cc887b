"""The face pipeline: find faces, check they can be used, swap a couple into a template.

Pure Python over numpy/OpenCV/dlib/onnxruntime; no Django imports, so it can be tested and benchmarked
on its own. The public vocabulary is re-exported here.
"""

from .classic import ClassicDetector, Pose, estimate_pose
from .imageio import encode_image, load_image
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
    "ClassicDetector",
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
    "load_image",
]
