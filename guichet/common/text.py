"""French plurals: zero and one take the singular (« 0 candidature », « 1 preuve », « 2 preuves »).

Django's `ngettext` and `pluralize` follow the English rule (every number but 1 is plural) when
no catalogue translates the message, which is our case: the French text is the source. Every
count a person reads goes through this `ngettext` (Python) or the `pluralize` filter that
`guichet.common.templatetags.guichet` puts in place of Django's (templates)."""

from django.utils.translation import ngettext as django_ngettext


def is_plural(number) -> bool:
    """The French rule (CLDR « fr »): plural from 2 on."""
    return number > 1


def ngettext(singular: str, plural: str, number) -> str:
    """`django.utils.translation.ngettext` with the French rule."""
    return django_ngettext(singular, plural, 2 if is_plural(number) else 1)
