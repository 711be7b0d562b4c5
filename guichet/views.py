"""The project's own pages, above every app (the home page shows what the apps hold)."""

from django.shortcuts import render

from guichet.referentials.selectors import published_versions


def home(request):
    return render(request, "home.html", {"versions": published_versions()})
