from django import template

from guichet.accounts.models import Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """The French label of a role code, e.g. for journal entries."""
    try:
        return Role(value).label
    except ValueError:
        return value
