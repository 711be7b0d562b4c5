"""Cross-cutting request handling: a request id on every request and journal entry, and
problem+json for every API error, the French error pages everywhere else; static files."""

import re
import uuid
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from whitenoise.middleware import WhiteNoiseMiddleware

from guichet.common.api import PROBLEM_CONTENT_TYPE
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


class ErrorPagesMiddleware:
    """Every error reads as ours (issue 10 §1, issue 20 §1). Under /api/, problem+json whatever
    produced it: a path no pattern matches (a malformed id), Django's own answers. Elsewhere,
    the French page instead of what Django writes itself: an empty body (require_POST's 405)
    and, with DEBUG on (`make run`), its English debug pages — a path no pattern matches, a
    view's Http404, a bad request (a body over the size limit: 413), a server error. The
    traceback stays in the log; the pages a view renders itself are left as they are."""

    STATUSES = frozenset({400, 403, 404, 405, 413, 500})

    def __init__(self, get_response):
        self.get_response = get_response

    # The pages are read (GET, HEAD) and their forms sent (POST); other methods are the API's.
    PAGE_METHODS = ("GET", "HEAD", "POST")

    def __call__(self, request):
        if not request.path.startswith("/api/") and request.method not in self.PAGE_METHODS:
            from guichet.common.views import handler405

            return handler405(request, allowed=", ".join(self.PAGE_METHODS))
        response = self.get_response(request)
        status = response.status_code
        if status not in self.STATUSES or response.streaming:
            return response
        # Set by guichet.common.views.ExceptionReporter when DEBUG's page reports it.
        exception = getattr(request, "guichet_exception", None)
        if request.path.startswith("/api/"):
            if response.get("Content-Type", "").split(";")[0] == PROBLEM_CONTENT_TYPE:
                return response
        elif response.content and exception is None and not self._debug_not_found(request, status):
            return response
        return self._ours(request, response, exception)

    @staticmethod
    def _debug_not_found(request, status: int) -> bool:
        return status == 404 and settings.DEBUG and getattr(request, "resolver_match", None) is None

    @staticmethod
    def _ours(request, response, exception):
        from guichet.common import views

        status = response.status_code
        if status in (400, 413):
            if status == 413 and exception is None:
                exception = RequestDataTooBig()
            return views.handler400(request, exception)
        if status == 403:
            return views.handler403(request, exception)
        if status == 404:
            return views.handler404(request, exception)
        if status == 405:
            return views.handler405(request, allowed=response.get("Allow", ""))
        return views.handler500(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            from guichet.common.views import handler404

            return handler404(request, exception)
        return None


class NulCharacterMiddleware:
    """No text holds the NUL character (U+0000): PostgreSQL stores none, and the API's schema
    says so of every text (issue 20 §1). One in the address, a query parameter or a header is
    refused here (400), before anything looks it up; JSON bodies are checked by their parser
    (guichet.common.api.JSONParser), form fields by their own validators."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            names = [
                name.replace("\x00", "")
                for name, values in request.GET.lists()
                if "\x00" in name or any("\x00" in value for value in values)
            ]
            if names:
                return self._refused(request, names)
        headers = [
            name.removeprefix("HTTP_").replace("_", "-").title()
            for name, value in request.META.items()
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value
        ]
        if "\x00" in request.path or headers:
            return self._refused(request, headers)
        return self.get_response(request)

    @staticmethod
    def _refused(request, names):
        from guichet.common import views
        from guichet.common.api import NUL_REFUSED, problem_json_response

        if not request.path.startswith("/api/"):
            return views.error_page(request, 400, NUL_REFUSED)
        extra = {"errors": {name: [NUL_REFUSED] for name in names}} if names else {}
        return problem_json_response(
            400, f"Les données envoyées sont invalides : {NUL_REFUSED}", **extra
        )


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
