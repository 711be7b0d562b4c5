import datetime as dt

from django import template

from guichet import deadlines
from guichet.common.text import is_plural

register = template.Library()


@register.filter(is_safe=False)
def pluralize(value, arg: str = "s"):
    """Django's `pluralize` with the French rule, in its place in every template (a built-in
    library loaded after Django's): « 0 candidature », « 1 candidature », « 2 candidatures »;
    `{{ n|pluralize:"x" }}`, `{{ n|pluralize:"al,aux" }}` as in Django."""
    if "," not in arg:
        arg = "," + arg
    bits = arg.split(",")
    if len(bits) > 2:
        return ""
    singular, plural = bits
    try:
        number = float(value)
    except ValueError:
        return singular
    except TypeError:
        try:
            number = len(value)
        except TypeError:
            return ""
    return plural if is_plural(number) else singular


@register.filter
def dict_get(mapping, key):
    """`{{ mapping|dict_get:key }}`: a dictionary entry, or None."""
    return (mapping or {}).get(key)


@register.filter
def french_date(value, arg: str = ""):
    """`{{ day|french_date }}`: « 1er mars 2027 »; `{{ day|french_date:"jour" }}`: « lundi
    1er mars 2027 ». Empty for no date (so that `|default:"—"` follows)."""
    if not isinstance(value, dt.date):
        return ""
    return deadlines.french_date(value, weekday=arg == "jour")


@register.filter
def french_datetime(value, arg: str = ""):
    """`{{ moment|french_datetime }}`: « 1er mars 2027 à 14 h 05 », in Paris;
    `{{ moment|french_datetime:"secondes" }}` adds the seconds (the journal)."""
    if not isinstance(value, dt.datetime):
        return french_date(value)
    return deadlines.french_datetime(value, seconds=arg == "secondes")
