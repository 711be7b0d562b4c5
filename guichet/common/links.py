"""Absolute links, all from one setting (GUICHET_BASE_URL): emails, PDFs, exports and API
answers, whether built inside a request (whatever host it came by) or outside one (a sweep run
by hand, the task worker). A link mixing two addresses in one email came from building some of
them from the request and others from a process that did not know the served address (issue 22
§4): every absolute address is made here."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def base_url() -> str:
    """The site's public address, without its trailing slash."""
    return settings.GUICHET_BASE_URL.rstrip("/")


def absolute_url(path: str) -> str:
    return base_url() + path


def absolute_reverse(name: str, *args, **kwargs) -> str:
    return absolute_url(reverse(name, args=args or None, kwargs=kwargs or None))


def rebased(url: str) -> str:
    """An absolute address built by a library from the request's host, moved onto the site's
    address (its path, query and fragment kept)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url if not url.startswith("/") else absolute_url(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return absolute_url(path + (f"#{parts.fragment}" if parts.fragment else ""))
