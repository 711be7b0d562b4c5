from django.shortcuts import render
from django.views.defaults import page_not_found, permission_denied, server_error

from guichet.common.api import NOT_FOUND_DETAIL, problem_json_response
from guichet.common.errors import raised_by_guichet


def home(request):
    from guichet.referentials.selectors import published_versions

    return render(request, "home.html", {"versions": published_versions()})


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_json_response(404, NOT_FOUND_DETAIL)
    return page_not_found(request, exception, template_name="404.html")


def handler403(request, exception=None):
    """The page shows the reason our code gives (e.g. a sensitive proof's, R-EVD-3); a
    library's reason may be English and stays hidden."""
    if exception is not None and not raised_by_guichet(exception):
        exception = None
    return permission_denied(request, exception or Exception(""), template_name="403.html")


def handler500(request):
    if request.path.startswith("/api/"):
        return problem_json_response(500, "Erreur interne du serveur.")
    return server_error(request, template_name="500.html")
