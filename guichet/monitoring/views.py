"""Health and metrics (issue 24 §2): no session, no page, JSON or Prometheus' text."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from guichet.monitoring import health
from guichet.monitoring.metrics import exposition


@never_cache
@require_GET
def alive(request):
    """The process answers (no database touched): for the host's liveness probe."""
    return JsonResponse({"status": health.OK, "message": "Le processus répond."})


@never_cache
@require_GET
def ready(request):
    """Whether this node can serve, and how the service around it is: 503 on « échec »."""
    worst, checks = health.readiness()
    body = {
        "status": worst,
        "message": {
            health.OK: "Prêt.",
            health.WARNING: "Prêt, avec des points à surveiller.",
            health.FAILURE: "Pas prêt : voir les vérifications en échec.",
        }[worst],
        "checks": {check.name: check.as_dict() for check in checks},
    }
    return JsonResponse(
        body,
        status=503 if worst == health.FAILURE else 200,
        json_dumps_params={"ensure_ascii": False},
    )


def _bearer_matches(request) -> bool:
    token = settings.GUICHET_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    )


@never_cache
@require_GET
def metrics(request):
    """Prometheus' text, to the bearer of GUICHET_METRICS_TOKEN only; nothing to anyone else."""
    if not settings.GUICHET_METRICS_TOKEN:
        return HttpResponse(
            "Métriques désactivées : GUICHET_METRICS_TOKEN n'est pas défini.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    if not _bearer_matches(request):
        return HttpResponse(
            "Métriques réservées : en-tête « Authorization: Bearer <jeton> » attendu.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
