"""The offline classic backend: dlib detection and landmarks (shared.detector) and the landmark-aligned
photo swap (pipeline: geometry, skin, colour and blending from shared/), tied together by engine.

Nothing is re-exported here, so that the modules can import each other without passing through the
package's own imports.
"""
