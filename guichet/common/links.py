"""Absolute links for emails and PDFs, all from one setting (GUICHET_BASE_URL)."""

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    return settings.GUICHET_BASE_URL.rstrip("/") + path


def absolute_reverse(name: str, *args, **kwargs) -> str:
    return absolute_url(reverse(name, args=args or None, kwargs=kwargs or None))
