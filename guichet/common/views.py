"""The error pages, in French, for people; problem+json under /api/ (issue 10 §1, issue 20 §1).
`guichet.common.middleware.ErrorPagesMiddleware` brings the answers Django or a library writes
itself (an empty 405, DEBUG's English pages) to these."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.views.debug import ExceptionReporter as DjangoExceptionReporter
from django.views.defaults import server_error

from guichet.common.api import NOT_FOUND_DETAIL, TITLES, problem_json_response
from guichet.common.errors import raised_by_guichet

# Django's default 404 and 403 views carry @requires_csrf_token, whose check reads the form,
# that is the whole body of a refused upload (issue 10 §1). The CSRF middleware has already
# made the token available to the templates: these pages render without it.

BAD_REQUEST = (
    "La requête reçue est incomplète ou mal formée : revenez à la page précédente et recommencez."
)
BAD_API_REQUEST = (
    "La requête est mal formée (adresse du serveur non reconnue dans l'en-tête Host, en-têtes "
    "ou corps illisibles) : vérifiez-la et renvoyez-la."
)
NOT_ALLOWED = (
    "Cette adresse exécute une action : elle s'utilise depuis le bouton de la page qui la "
    "propose, pas en l'ouvrant directement."
)
FORM_EXPIRED = (
    "Le formulaire envoyé n'a pas pu être vérifié (jeton de sécurité absent ou expiré, par "
    "exemple après une longue inactivité ou une déconnexion) : rechargez la page puis "
    "renvoyez-le. Rien n'a été enregistré."
)


def _too_big() -> str:
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return (
        f"Les données envoyées dépassent {limit} hors fichiers : rien n'a été enregistré. "
        "Raccourcissez les textes saisis, ou envoyez les fichiers par les champs de dépôt."
    )


def error_page(request, status: int, message: str, *, title: str = "", **extra):
    """One error for people (a page) or for clients (problem+json under /api/)."""
    if request.path.startswith("/api/"):
        return problem_json_response(status, message, **extra)
    context = {"title": title or TITLES.get(status, "Erreur"), "message": message}
    return render(request, "error.html", context, status=status)


def handler400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return error_page(request, 413, _too_big(), title="Envoi trop volumineux")
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return error_page(
            request,
            413,
            "La requête contient trop de champs ou de fichiers : envoyez-les en plusieurs fois.",
            title="Envoi trop volumineux",
        )
    if request.path.startswith("/api/"):
        return problem_json_response(400, BAD_API_REQUEST)
    return error_page(request, 400, BAD_REQUEST)


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


def handler405(request, allowed: str = ""):
    response = error_page(request, 405, NOT_ALLOWED, title="Action impossible par cette adresse")
    if allowed:
        response["Allow"] = allowed
    return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's own page is English and says nothing of what to do."""
    return error_page(request, 403, FORM_EXPIRED, title="Formulaire expiré")


def handler500(request):
    if request.path.startswith("/api/"):
        return problem_json_response(500, "Erreur interne du serveur.")
    return server_error(request, template_name="500.html")


class ExceptionReporter(DjangoExceptionReporter):
    """DEBUG's report of an exception (DEFAULT_EXCEPTION_REPORTER), remembered on the request:
    ErrorPagesMiddleware answers with the French page for it (a body over the size limit is a
    413); the traceback stays in the log."""

    def __init__(self, request, exc_type, exc_value, tb, is_email=False):
        super().__init__(request, exc_type, exc_value, tb, is_email)
        if request is not None:
            request.guichet_exception = exc_value
