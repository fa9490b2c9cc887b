"""The insightface backend (SCRFD, ArcFace, inswapper) over model files an operator installs: files
(finding them, nothing loaded) and engine (loading and running them)."""
