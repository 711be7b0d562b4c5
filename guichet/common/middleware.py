"""Cross-cutting request handling: a request id on every request and journal entry, and
problem+json for every API 404, the French 404 page everywhere else; static files."""

import re
import uuid
from typing import ClassVar

from django.conf import settings
from django.http import Http404
from whitenoise.middleware import WhiteNoiseMiddleware

from guichet.common.api import NOT_FOUND_DETAIL, PROBLEM_CONTENT_TYPE, problem_json_response
from guichet.common.request_id import current_request_id

_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID when it looks sane, else makes one; journal entries
    written while serving the request carry it (R-AUD-1), and the response echoes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class NotFoundMiddleware:
    """A 404 always reads as ours. Under /api/, problem+json whatever produced it: no URL
    pattern matched (a malformed id, e.g. a file id that is not a UUID) or Django's debug page
    (DEBUG=True), which handler404 never sees. Elsewhere, with DEBUG on (`make run`), the
    French page instead of Django's English debug page: for a path no pattern matches, and
    for a view's Http404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        if request.path.startswith("/api/"):
            if response.get("Content-Type", "").split(";")[0] != PROBLEM_CONTENT_TYPE:
                return problem_json_response(404, NOT_FOUND_DETAIL)
        elif settings.DEBUG and getattr(request, "resolver_match", None) is None:
            from guichet.common.views import handler404

            return handler404(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            from guichet.common.views import handler404

            return handler404(request, exception)
        return None


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, whose table of static files found by the finders (outside production: DSFR's
    two thousand files) is read once per process, not once per instance: Django builds its
    middleware again for every test client and every live server, and each reading took a
    third of a second. The table depends only on the settings in the key."""

    _found: ClassVar[dict[tuple, dict]] = {}

    def add_files_from_finders(self):
        key = (
            self.static_prefix,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            tuple(settings.INSTALLED_APPS),
            tuple(str(folder) for folder in settings.STATICFILES_DIRS),
        )
        found = self._found.get(key)
        if found is None:
            files, self.files = self.files, {}
            try:
                super().add_files_from_finders()
                found = self._found[key] = self.files
            finally:
                self.files = files
        self.files.update(found)
