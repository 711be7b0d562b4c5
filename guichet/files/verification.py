"""Re-verification of every stored file against its deposit (R-EVD-2): run weekly by the task
worker (tasks.py) and on demand (`manage.py verify_files`). Each file is streamed once; the
failures and a summary are journaled, and the agency's administrators get a French report when
something fails."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.mail import send_mail
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from guichet.common.text import ngettext
from guichet.deadlines import french_date, french_datetime
from guichet.files.models import StoredFile
from guichet.files.services import Integrity, integrity_problem, record_integrity_failure
from guichet.journal.services import record

# The report names at most this many files; the journal has them all.
REPORT_LINES = 200


@dataclass
class Report:
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    checked: int = 0
    size: int = 0
    failures: list[tuple[StoredFile, Integrity]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def summary(self) -> str:
        checked = ngettext(
            "%(n)d fichier vérifié (%(size)s)", "%(n)d fichiers vérifiés (%(size)s)", self.checked
        ) % {"n": self.checked, "size": filesizeformat(self.size)}
        if not self.failures:
            return f"{checked} : tous correspondent à leur dépôt."
        return f"{checked} : " + ngettext(
            "%(n)d ne correspond plus à son dépôt.",
            "%(n)d ne correspondent plus à leur dépôt.",
            self.failed,
        ) % {"n": self.failed}

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "size": self.size,
            "failed": self.failed,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "failures": [str(stored.pk) for stored, _ in self.failures[:REPORT_LINES]],
        }


def verify_all_files(*, by=None) -> Report:
    """Streams every stored file once (the failures, few, are kept aside: the queries do not
    grow with the number of files), then journals each failure and the summary."""
    report = Report(started_at=timezone.now())
    for stored in StoredFile.objects.order_by("uploaded_at", "id").iterator(chunk_size=500):
        report.checked += 1
        report.size += stored.size
        problem = integrity_problem(stored)
        if problem is not None:
            report.failures.append((stored, problem))
    report.finished_at = timezone.now()
    for stored, problem in report.failures:
        record_integrity_failure(stored, problem, by=by)
    with transaction.atomic():
        record(
            action="file.verification",
            object_type="files.storedfile",
            by=by,
            after=report.as_dict(),
        )
    if report.failures:
        _tell_the_agency(report)
    return report


def _tell_the_agency(report: Report) -> None:
    from guichet.accounts.models import Role, User

    to = sorted(
        User.objects.filter(role=Role.AGENCY_ADMIN, is_active=True).values_list("email", flat=True)
    )
    if not to:
        return
    when = timezone.localtime(report.started_at)
    lines = [
        f"- « {stored.original_name} » (fichier {stored.pk}, déposé le "
        f"{french_date(timezone.localtime(stored.uploaded_at).date())}, emplacement {stored.path}) : "
        f"{problem.reason}"
        for stored, problem in report.failures[:REPORT_LINES]
    ]
    if report.failed > REPORT_LINES:
        others = report.failed - REPORT_LINES
        lines.append(
            ngettext(
                "- … et %(n)d autre : voir le journal.",
                "- … et %(n)d autres : voir le journal.",
                others,
            )
            % {"n": others}
        )
    body = (
        "Bonjour,\n\n"
        f"La vérification des fichiers déposés du {french_datetime(when)} : {report.summary()}\n\n"
        "Fichiers en échec :\n" + "\n".join(lines) + "\n\n"
        "Ces fichiers ne sont plus servis tels quels : un téléchargement est refusé ou "
        "interrompu. Restaurez-les depuis la sauvegarde de GUICHET_FILES_ROOT ou du "
        "compartiment S3 (même emplacement), puis relancez la vérification : python manage.py verify_files. Chaque "
        "échec est inscrit au journal d'audit (action file.integrity_failure).\n\n"
        "Guichet — Agence du numérique en santé\n"
    )
    subject = "Guichet — vérification des fichiers : " + ngettext(
        "%(n)d fichier en échec", "%(n)d fichiers en échec", report.failed
    ) % {"n": report.failed}
    send_mail(subject, body, None, to)
