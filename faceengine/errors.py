"""The errors a person can be shown: each carries a plain-language message about their input."""


class EngineError(Exception):
    """A problem with the input that the person can fix; `message` is shown to them as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnreadableImageError(EngineError):
    pass


class NoFaceError(EngineError):
    pass


class SeveralFacesError(EngineError):
    pass


class FaceTurnedError(EngineError):
    pass


class FaceTooSmallError(EngineError):
    pass


class TemplateFacesError(EngineError):
    pass
