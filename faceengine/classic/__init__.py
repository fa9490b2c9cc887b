"""The offline classic backend: dlib detection and landmarks (detector), the landmark-aligned photo swap
(align, skin, colour, blend, pipeline), drawn art (acg), and the engine that ties them (engine).

Nothing is re-exported here, so that the modules can import each other as `from . import align` without
passing through the package's own imports.
"""
