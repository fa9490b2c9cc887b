"""The face engine's sentences about a photo, said in the visitor's language on the photo pages."""

from django import template

from gallery.engine_words import engine_words as _engine_words

register = template.Library()


@register.filter
def engine_words(message: str | None) -> str | None:
    """`{{ photo.metadata.face_check.message|engine_words }}`: one of the engine's sentences, translated."""
    return _engine_words(message)
