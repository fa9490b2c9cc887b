"""What backends and stages share: dlib detection and 68 landmarks (detector), fitting and moving a
face (align), where a face shows skin (skin), colour and light transfer (colour), masks and blending
(blend). No backend imports another backend; they all import from here.

Nothing is re-exported here, so that the modules can import each other as `from . import align`.
"""
