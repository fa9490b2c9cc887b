"""Small helpers for the account pages that override allauth's."""

from django import template

register = template.Library()


@register.filter
def unverified(addresses) -> list:
    """The addresses not yet confirmed (only they are offered "Send the confirmation again")."""
    return [address for address in addresses or () if not address.verified]
