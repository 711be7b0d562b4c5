"""Cross-cutting request handling: a request id on every request and journal entry, and
problem+json for every API 404."""

import re
import uuid

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


class ApiNotFoundMiddleware:
    """Under /api/, a 404 is problem+json whatever produced it: no URL pattern matched (a
    malformed id, e.g. a file id that is not a UUID) or Django's debug page (DEBUG=True), which
    handler404 never sees."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and response.get("Content-Type", "").split(";")[0] != PROBLEM_CONTENT_TYPE
        ):
            return problem_json_response(404, NOT_FOUND_DETAIL)
        return response
