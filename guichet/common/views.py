from django.shortcuts import render
from django.views.defaults import server_error

from guichet.common.api import NOT_FOUND_DETAIL, problem_json_response
from guichet.common.errors import raised_by_guichet

# Django's default 404 and 403 views carry @requires_csrf_token, whose check reads the form,
# that is the whole body of a refused upload (issue 10 §1). The CSRF middleware has already
# made the token available to the templates: these pages render without it.


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_json_response(404, NOT_FOUND_DETAIL)
    return render(request, "404.html", status=404)


def handler403(request, exception=None):
    """The reason our code gives is shown (e.g. a sensitive proof's, R-EVD-3); a library's may
    be English and stays hidden. Rendered directly: Django's permission_denied view checks the
    CSRF token, which reads the body of a refused upload."""
    reason = str(exception) if exception is not None and raised_by_guichet(exception) else ""
    if request.path.startswith("/api/"):
        return problem_json_response(403, reason or "Votre compte ne permet pas cette action.")
    return render(request, "403.html", {"exception": reason}, status=403)


def handler500(request):
    if request.path.startswith("/api/"):
        return problem_json_response(500, "Erreur interne du serveur.")
    return server_error(request, template_name="500.html")
