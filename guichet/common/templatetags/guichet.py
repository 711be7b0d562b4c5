from django import template

register = template.Library()


@register.filter
def dict_get(mapping, key):
    """`{{ mapping|dict_get:key }}`: a dictionary entry, or None."""
    return (mapping or {}).get(key)
