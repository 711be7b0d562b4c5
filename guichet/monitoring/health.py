"""What `/sante/pret` reports (issue 24 §2): can this node serve (the database, the files'
storage), and is the service around it well (the task queue, the periodic tasks, the seal's
certificate). Nothing sensitive: no host, bucket, error text or name — the details go to the
log, under the request's id.

Levels: « ok »; « attention », something an operator must look at soon, reported while the node
still serves (200: a late scheduler must not take every web node out of the load balancer);
« échec », the node cannot do its work (503): the database or the storage unreachable, the seal's
certificate expired (no act can be sealed)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

OK, WARNING, FAILURE = "ok", "attention", "échec"
_ORDER = {OK: 0, WARNING: 1, FAILURE: 2}
SEAL_WARNING_DAYS = 30


@dataclass
class Check:
    name: str
    status: str
    message: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"status": self.status, "message": self.message, **self.details}


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health: the database does not answer")
        return Check("database", FAILURE, "La base de données ne répond pas.")
    return Check("database", OK, "La base de données répond.")


def storage() -> Check:
    """A read of a name nobody writes: the storage answers (on S3, a HEAD on the bucket)."""
    from guichet.files.storage import files_storage

    try:
        files_storage().exists(f"sante/{uuid.uuid4().hex}")
    except Exception:
        logger.exception("Health: the files' storage does not answer")
        return Check("storage", FAILURE, "Le stockage des fichiers ne répond pas.")
    return Check("storage", OK, "Le stockage des fichiers répond.")


def queue_state(now: dt.datetime) -> tuple[int, float | None]:
    """How many tasks wait to run now, and for how long the oldest has (seconds). One query."""
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult

    found = DBTaskResult.objects.ready().aggregate(waiting=Count("pk"), oldest=Min("enqueued_at"))
    oldest = found["oldest"]
    return found["waiting"], (now - oldest).total_seconds() if oldest else None


def task_queue(now: dt.datetime) -> Check:
    try:
        waiting, age = queue_state(now)
    except Exception:
        logger.exception("Health: the task queue cannot be read")
        return Check("task_queue", FAILURE, "La file des tâches est illisible.")
    details = {
        "waiting": waiting,
        "oldest_waiting_seconds": round(age) if age is not None else None,
    }
    limit = settings.GUICHET_HEALTH_QUEUE_MAX_MINUTES * 60
    if age is not None and age > limit:
        return Check(
            "task_queue",
            WARNING,
            f"La plus ancienne tâche attend depuis {round(age / 60)} min : un travailleur "
            "tourne-t-il ?",
            details,
        )
    return Check("task_queue", OK, "La file des tâches avance.", details)


@dataclass(frozen=True)
class PeriodicState:
    name: str
    label: str
    every: dt.timedelta
    last_success: dt.datetime | None
    last_duration: float | None

    def late(self, now: dt.datetime) -> bool:
        """Never done, or not done for two periods."""
        return self.last_success is None or now - self.last_success > 2 * self.every


def periodic_states() -> list[PeriodicState]:
    """Each periodic task's last success and how long it took: one query on the scheduler's
    table, whatever the size of the task queue's (the tasks are registered at start-up,
    guichet.common.apps)."""
    from guichet.common.models import PeriodicRun
    from guichet.common.periodic import registered

    entries = registered()
    runs = {
        run.name: run
        for run in PeriodicRun.objects.filter(name__in=[entry.name for entry in entries])
    }
    return [
        PeriodicState(
            name=entry.name,
            label=entry.label,
            every=entry.period,
            last_success=getattr(runs.get(entry.name), "last_success_at", None),
            last_duration=getattr(runs.get(entry.name), "last_duration", None),
        )
        for entry in entries
    ]


def periodic_tasks(now: dt.datetime) -> Check:
    try:
        states = periodic_states()
    except Exception:
        logger.exception("Health: the periodic tasks cannot be read")
        return Check("periodic_tasks", FAILURE, "Les tâches périodiques sont illisibles.")
    rows = [
        {
            "task": state.name,
            "label": state.label,
            "every_seconds": int(state.every.total_seconds()),
            "last_success": state.last_success.isoformat() if state.last_success else None,
            "late": state.late(now),
        }
        for state in states
    ]
    late = [state.label for state in states if state.late(now)]
    if late:
        return Check(
            "periodic_tasks",
            WARNING,
            f"En retard ou jamais passées : {', '.join(late)}. Un planificateur et un "
            "travailleur tournent-ils ?",
            {"tasks": rows},
        )
    return Check(
        "periodic_tasks", OK, "Chaque tâche périodique est passée à temps.", {"tasks": rows}
    )


def seal_expiry() -> dt.datetime:
    """When the agency's seal certificate expires."""
    from guichet.signing.keys import agency_signer

    return agency_signer().signing_cert["tbs_certificate"]["validity"]["not_after"].native


def seal(now: dt.datetime) -> Check:
    try:
        not_after = seal_expiry()
    except Exception:
        logger.exception("Health: the seal's certificate cannot be read")
        return Check("seal", FAILURE, "Le certificat de cachet de l'agence est illisible.")
    days = (not_after - now).days
    details = {"not_after": not_after.isoformat(), "days_left": days}
    if not_after <= now:
        return Check(
            "seal",
            FAILURE,
            "Le certificat de cachet de l'agence a expiré : aucun acte ne peut être scellé.",
            details,
        )
    if days < SEAL_WARNING_DAYS:
        return Check(
            "seal",
            WARNING,
            f"Le certificat de cachet de l'agence expire dans {days} jours : remplacez-le.",
            details,
        )
    return Check("seal", OK, "Le certificat de cachet de l'agence est valide.", details)


def readiness(now: dt.datetime | None = None) -> tuple[str, list[Check]]:
    """The worst level and every check, in a stable order."""
    now = now or timezone.now()
    checks = [database(), storage(), task_queue(now), periodic_tasks(now), seal(now)]
    worst = max((check.status for check in checks), key=_ORDER.__getitem__)
    return worst, checks
