"""bench_register.py's floor: bare views that answer bytes rendered beforehand, held in memory
(`/bare/<name>/` answers the file `$BENCH_BARE_DIR/<name>`, read once), beside the site."""

import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import include, path

CONTENT_TYPES = {"api": "application/json", "csv": "text/csv; charset=utf-8"}
_held: dict[str, bytes] = {}


def bare(request, name):
    if name not in _held:
        _held[name] = (Path(os.environ["BENCH_BARE_DIR"]) / name).read_bytes()
    return HttpResponse(_held[name], content_type=CONTENT_TYPES[name])


urlpatterns = [path("bare/<str:name>/", bare), path("", include("guichet.urls"))]
