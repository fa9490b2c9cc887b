"""`{% kept_include "name.html" %}`: an include kept per signed-in person in the shared cache (gallery.fragments).

For a part every page of a signed-in person repeats and that shows nothing but the person's account (the
menu): rendered once per account state and language, not on every page. A visitor's part is rendered as
`{% include %}` would.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from gallery.fragments import cards_render

register = template.Library()


@register.simple_tag(takes_context=True)
def kept_include(context: template.Context, name: str) -> SafeString:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        with context.push():
            return mark_safe(context.template.engine.get_template(name).render(context))
    # The person's whole row is in the key: a new name or staff flag is a new part at once.
    return cards_render(request, name, [{}], shared={"user": user})[0]
