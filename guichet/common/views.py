from django.shortcuts import render
from django.views.defaults import server_error

from guichet.common.api import problem_json_response


def home(request):
    from guichet.referentials.selectors import published_versions

    return render(request, "home.html", {"versions": published_versions()})


# Django's default 404 and 403 views carry @requires_csrf_token, whose check reads the form,
# that is the whole body of a refused upload (issue 10 §1). The CSRF middleware has already
# made the token available to the templates: these pages render without it.


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_json_response(404, "Ressource introuvable.")
    return render(request, "404.html", status=404)


def handler403(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_json_response(403, "Accès refusé.")
    return render(request, "403.html", status=403)


def handler500(request):
    if request.path.startswith("/api/"):
        return problem_json_response(500, "Erreur interne du serveur.")
    return server_error(request, template_name="500.html")
