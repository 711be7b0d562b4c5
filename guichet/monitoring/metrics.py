"""Prometheus metrics (issue 24 §2), served at /metrics to the bearer of GUICHET_METRICS_TOKEN.

Two kinds:
- what each process counts as it serves: requests by view, method and status, and their
  latency. Under gunicorn's several workers, set PROMETHEUS_MULTIPROC_DIR (an empty folder per
  node, emptied at its start): prometheus_client then keeps the counts in files there and a
  scrape adds up every worker's (docs/exploitation.md);
- what the shared state says, read from the database at each scrape by `PlatformCollector`, a
  fixed number of queries whatever the data: the task queue's depth and age, each periodic
  task's last success and duration, dossiers by state, deadlines at risk, certificates by state,
  the seal's days to expiry. Any node answers the same."""

from __future__ import annotations

import logging
import os
import time

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from guichet.monitoring.logs import log_request

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "guichet_http_requests",
    "Requêtes servies, par vue, méthode et statut.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "guichet_http_request_duration_seconds",
    "Durée des requêtes (de l'entrée dans Django à la réponse), par vue.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UNRESOLVED = "non-resolue"


def view_label(request) -> str:
    """The URL pattern's name (bounded: never the path itself, which holds ids)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    return match.view_name or match.route or UNRESOLVED


class MetricsMiddleware:
    """Counts each request and its duration, and logs it in one line (guichet.monitoring.logs).
    Placed first: the time includes every middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.perf_counter() - started)
        log_request(request, response, started, view)
        return response


class PlatformCollector:
    """The shared state, read at each scrape (a fixed number of queries)."""

    def collect(self):
        """Whatever fails to be read is left out (and logged): the processes' own metrics are
        still served while the database does not answer."""
        try:
            yield from self._shared_state()
        except Exception:
            logger.exception("Metrics: the shared state cannot be read")

    def _shared_state(self):
        from guichet.dashboard import selectors
        from guichet.monitoring import health

        now = timezone.now()
        today = timezone.localdate()

        waiting, age = health.queue_state(now)
        yield GaugeMetricFamily(
            "guichet_task_queue_waiting", "Tâches en file, prêtes à tourner.", value=waiting
        )
        yield GaugeMetricFamily(
            "guichet_task_queue_oldest_seconds",
            "Âge de la plus ancienne tâche en attente (0 si aucune).",
            value=age or 0,
        )

        last = GaugeMetricFamily(
            "guichet_periodic_last_success_timestamp_seconds",
            "Dernière réussite de chaque tâche périodique (heure Unix ; 0 : jamais).",
            labels=["task"],
        )
        duration = GaugeMetricFamily(
            "guichet_periodic_last_duration_seconds",
            "Durée de la dernière réussite de chaque tâche périodique.",
            labels=["task"],
        )
        period = GaugeMetricFamily(
            "guichet_periodic_period_seconds",
            "Période de chaque tâche périodique.",
            labels=["task"],
        )
        for state in health.periodic_states():
            last.add_metric(
                [state.name], state.last_success.timestamp() if state.last_success else 0
            )
            if state.last_duration is not None:
                duration.add_metric([state.name], state.last_duration)
            period.add_metric([state.name], state.every.total_seconds())
        yield from (last, duration, period)

        states = selectors.state_counts()
        dossiers = GaugeMetricFamily(
            "guichet_applications",
            "Dossiers par état et référentiel.",
            labels=["state", "referential"],
        )
        for row in states.rows:
            for code, count in zip(states.referentials, row.counts, strict=True):
                dossiers.add_metric([row.status.value, code], count)
        yield dossiers

        risks = GaugeMetricFamily(
            "guichet_deadlines_at_risk",
            "Dossiers ouverts dont le délai est en risque : overdue (dépassé), week (échéance "
            "dans 7 jours), stopped (suspendu depuis longtemps).",
            labels=["kind"],
        )
        for kind, count in selectors.risk_counts(today).items():
            risks.add_metric([kind], count)
        yield risks

        certificates = GaugeMetricFamily(
            "guichet_certificates",
            "Certificats par état, référentiel et nature.",
            labels=["state", "referential", "kind"],
        )
        for (status, code, kind), count in selectors.certificate_groups().items():
            certificates.add_metric([status, code, kind], count)
        yield certificates

        try:
            days = (health.seal_expiry() - now).total_seconds() / 86400
        except Exception:
            logger.exception("Metrics: the seal's certificate cannot be read")
        else:
            yield GaugeMetricFamily(
                "guichet_seal_certificate_days_left",
                "Jours avant l'expiration du certificat de cachet de l'agence.",
                value=days,
            )


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's (or, with PROMETHEUS_MULTIPROC_DIR,
    every worker's of this node) and the shared state's."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(PlatformCollector())
    return generate_latest(registry)
