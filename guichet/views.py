"""The project's own pages, above every app (the home page shows what the apps hold)."""

from django.shortcuts import redirect, render
from django.templatetags.static import static

from guichet.referentials.selectors import published_versions


def home(request):
    return render(request, "home.html", {"versions": published_versions()})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page declares: DSFR's icon (its static
    address is read at request time, from the manifest in production)."""
    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)
