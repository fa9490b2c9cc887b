"""The share link as a QR code, for showing it across a room: an SVG drawn on the server, placed in the
page as markup (no script and no inline style, which the content security policy forbids)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.filter
def qr_svg(url: str) -> SafeString:
    """An <svg> of the QR code of url, scaled by CSS (its viewBox is in modules, a quiet zone of 4)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]  # the XML declaration has no place inside HTML
    # The library's own size in millimetres gives way to the page's (CSS); the SVG's data is only the
    # URL's modules, as path commands, so it is safe to place in the page as it is.
    label = escape(gettext("QR code of the link"))
    return mark_safe(svg.replace("<svg ", f'<svg class="share-qr-code" role="img" aria-label="{label}" ', 1))
