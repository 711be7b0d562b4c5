"""The certificates' daily sweep (issue 13 §3): what happens to a certificate by the calendar.

- R-CRT-2: at the end of the term (the day after `valid_until`), a certificate is renewed
  tacitly for the convention's term, unless its renewal was stopped: then it expires.
- R-CRT-4: an exceptional certificate expires the day after its end date, whatever happens.
- R-CRT-5, R-CRT-6: a withdrawal notified for a later day takes effect on that day.
- R-CRT-5: the agency is told once when a formal notice's deadline has passed.
- R-CRT-2: the holder is reminded once per term, `term_reminder_days` before its end (the
  version's setting), of what happens then (renewal.remind_terms).
- R-CRT-3: the agency is told once when the delay to ask for a new certificate after a new
  referential version has run out without a new application for the product.

Each event is dated by the calendar, not by the day of the sweep: a sweep that missed days
catches up with the events' own dates (a term renewed several times if need be). Running it
twice the same day changes nothing. Certificates are taken in batches locked with SKIP LOCKED,
so that two sweeps at once never act twice on one certificate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from time import perf_counter

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django_tasks import task

from guichet.applications.clock import as_of
from guichet.applications.models import Application
from guichet.applications.models import Status as ApplicationStatus
from guichet.applications.notifications import notify_instructors
from guichet.certificates import term_end
from guichet.certificates.lifecycle import scheduled_withdrawal_reason, tell_holder
from guichet.certificates.models import Certificate, FormalNotice
from guichet.certificates.workflow import LIVE, transition
from guichet.common.periodic import periodic
from guichet.common.text import ngettext
from guichet.deadlines import french_date

BATCH_SIZE = 200


@dataclass
class SweepReport:
    today: dt.date
    renewed: int = 0
    expired: int = 0
    withdrawn: int = 0
    notices_overdue: int = 0
    windows_overdue: int = 0
    term_reminders: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(
            text % {"n": n}
            for text, n in (
                (ngettext("%(n)d reconduit", "%(n)d reconduits", self.renewed), self.renewed),
                (ngettext("%(n)d expiré", "%(n)d expirés", self.expired), self.expired),
                (ngettext("%(n)d retiré", "%(n)d retirés", self.withdrawn), self.withdrawn),
            )
        )
        notices = ngettext(
            "%(n)d mise en demeure échue", "%(n)d mises en demeure échues", self.notices_overdue
        ) % {"n": self.notices_overdue}
        windows = ngettext(
            "%(n)d délai de nouveau certificat dépassé",
            "%(n)d délais de nouveau certificat dépassés",
            self.windows_overdue,
        ) % {"n": self.windows_overdue}
        return (
            f"Certificats balayés le {french_date(self.today)} : {counts} ; {notices} et "
            f"{windows} signalés à l'agence."
        )

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "renewed": self.renewed,
            "expired": self.expired,
            "withdrawn": self.withdrawn,
            "notices_overdue": self.notices_overdue,
            "windows_overdue": self.windows_overdue,
            "term_reminders": self.term_reminders,
            "problems": self.problems,
        }


def _due(today: dt.date):
    """The live certificates with something due today (or before): their term ended, a
    withdrawal took effect, a new-certificate delay ran out."""
    return Certificate.objects.filter(status__in=LIVE).filter(
        Q(valid_until__lt=today)
        | Q(withdrawal_effective_on__lte=today)
        | Q(new_certificate_due__lt=today, new_certificate_overdue_on__isnull=True)
    )


def sweep(*, today: dt.date | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Sweeps on `today` (Paris); never raises for one certificate: its problem is in the
    report and the others are swept."""
    from django.utils import timezone

    today = today or timezone.localdate()
    report = SweepReport(today=today)
    started = perf_counter()
    with as_of(today):
        last = 0
        while True:
            with transaction.atomic():
                batch = list(
                    _due(today)
                    .filter(pk__gt=last)
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not batch:
                    break
                last = batch[-1]
                for pk in batch:
                    _sweep_one(pk, today, report)
        _flag_notices(today, report)
        # R-CRT-2: after the catch-up, so that a renewed term is the one reminded.
        from guichet.certificates.renewal import remind_terms

        report.term_reminders = remind_terms(today)
    report.seconds = perf_counter() - started
    return report


def _sweep_one(pk: int, today: dt.date, report: SweepReport) -> None:
    try:
        with transaction.atomic():  # a savepoint: one certificate's failure undoes only it
            certificate = Certificate.objects.select_related("referential_version").get(pk=pk)
            _catch_up(certificate, today, report)
            _flag_window(certificate, today, report)
    except Exception as exc:  # noqa: BLE001 - reported, the other certificates go on
        report.problems.append(f"{pk} : {exc}")


def _catch_up(certificate: Certificate, today: dt.date, report: SweepReport) -> None:
    """The certificate's dated events up to today, in their order."""
    while certificate.status in LIVE:
        end = certificate.valid_until + dt.timedelta(days=1)  # the first day out of term
        withdrawal = certificate.withdrawal_effective_on
        if withdrawal is not None and withdrawal <= today and withdrawal <= end:
            transition(
                certificate,
                "withdraw",
                by=None,
                # The reason given when the withdrawal was notified.
                reason=scheduled_withdrawal_reason(certificate),
                scheduled=True,
                on=withdrawal,
            )
            report.withdrawn += 1
        elif end <= today:
            if term_end.of(certificate) == term_end.EXPIRY:
                transition(
                    certificate,
                    "expire",
                    by=None,
                    reason=term_end.expiry_reason(certificate),
                    on=end,
                )
                report.expired += 1
            else:
                transition(certificate, "renew", by=None, on=end)
                report.renewed += 1
        else:
            return


def _flag_window(certificate: Certificate, today: dt.date, report: SweepReport) -> None:
    """R-CRT-3: the delay to ask for a new certificate ran out; the agency learns whether a
    new application was filed for the product on the new version (DMN: it may then ask for
    the product's strike-off, R-CRT-7)."""
    due = certificate.new_certificate_due
    if (
        certificate.status not in LIVE
        or due is None
        or due >= today
        or certificate.new_certificate_overdue_on
    ):
        return
    filed = new_application_filed(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(new_certificate_overdue_on=today)
    if filed:
        return
    # R-CRT-3: no silent renewal on the replaced version: the holder learns what happens.
    tell_holder(
        certificate,
        "nouveau certificat non sollicité",
        f"Aucune candidature pour {certificate.product_name} n'a été déposée sur la version "
        f"{certificate.new_version_notified} du référentiel avant le {french_date(due)}. Le "
        f"certificat {certificate.number} ne sera pas reconduit à son terme : il expirera le "
        f"{french_date(certificate.valid_until + dt.timedelta(days=1))}. Pour que le produit "
        "reste certifié, déposez une candidature sur la nouvelle version.",
    )
    notify_instructors(
        certificate.application,
        "nouveau certificat non sollicité",
        f"Le titulaire du certificat {certificate.number} ({certificate.product_name}) n'a pas "
        f"sollicité de nouveau certificat avant le {french_date(due)}, après l'entrée en "
        f"vigueur de la version {certificate.new_version_notified} du référentiel. Pour un DMN, "
        "l'agence peut demander la radiation du produit de la LATM (CSS R. 162-85). Le "
        "certificat ne sera pas reconduit à son terme : il expirera le "
        f"{french_date(certificate.valid_until + dt.timedelta(days=1))}.",
        kind="work",
        certificate=certificate.number,
    )
    report.windows_overdue += 1


def new_applications():
    """Applications filed (beyond the draft) for a certificate's product on the version it
    was notified of: a subquery for annotations (R-CRT-3)."""
    return Application.objects.filter(
        product_id=OuterRef("application__product_id"),
        referential_version_id=OuterRef("new_version_notified_id"),
    ).exclude(status=ApplicationStatus.DRAFT)


def new_application_filed(certificate: Certificate) -> bool:
    return (
        Certificate.objects.filter(pk=certificate.pk)
        .annotate(filed=Exists(new_applications()))
        .values_list("filed", flat=True)
        .get()
    )


def _flag_notices(today: dt.date, report: SweepReport) -> None:
    """R-CRT-5: a formal notice whose deadline passed while still open: the agency decides
    (close it as fixed, or withdraw). Told once per notice."""
    with transaction.atomic():
        notices = list(
            FormalNotice.objects.filter(
                closed_on__isnull=True, overdue_on__isnull=True, deadline__lt=today
            )
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("certificate__application")
        )
        for notice in notices:
            notice.overdue_on = today
            notice.save(update_fields=["overdue_on"])
            certificate = notice.certificate
            notify_instructors(
                certificate.application,
                "mise en demeure échue",
                f"L'échéance de la mise en demeure du {french_date(notice.issued_on)} sur le "
                f"certificat {certificate.number} ({certificate.product_name}) était le "
                f"{french_date(notice.deadline)} : clos-la (non-conformités corrigées) ou "
                "retirez le certificat.",
                kind="work",
                certificate=certificate.number,
            )
            report.notices_overdue += 1


@periodic(
    every=dt.timedelta(days=1),
    label="Balayage des certificats : reconductions, expirations, retraits différés, "
    "mises en demeure échues",
)
@task()
def sweep_certificates() -> dict:
    report = sweep()
    if report.problems:
        raise RuntimeError(report.summary() + " Problèmes : " + " ; ".join(report.problems))
    return report.as_dict()
