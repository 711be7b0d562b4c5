"""Issuing certificates (R-CRT-1, R-CRT-2) and writing their revisions.

`issue(decision)` is the committee's hook: called once, inside the transaction that signs off a
granted decision. The number comes from the counter row of the referential and year, incremented
by one atomic upsert in that same transaction: two issuances at once get two numbers, and a
rolled-back issuance gives its number back (no gap). The PDF of each revision is written and
sealed by the task worker after the commit (`tasks.produce_certificate_pdf`)."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils import timezone

from guichet.applications.notifications import notify_applicant
from guichet.certificates.models import (
    Certificate,
    CertificateRevision,
    Kind,
    NumberCounter,
    RevisionKind,
    Status,
)
from guichet.committee.models import Ground
from guichet.common.errors import ApplicationError
from guichet.common.tasks import enqueue_on_commit
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.journal.services import record

TERM_YEARS = 5  # both guides: « valable durant toute la durée de la convention soit 5 ans »


def allocate_number(referential: str, year: int) -> tuple[int, str]:
    """The next rank of the referential's year and its number, e.g. « CC-DMN-2026-0001 ». One
    statement that PostgreSQL and SQLite both run atomically; the row stays locked until the
    issuing transaction ends, so that ranks follow the commits without gaps."""
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (referential, year, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (referential, year) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [referential, year],
        )
        (rank,) = cursor.fetchone()
    return rank, f"CC-{referential}-{year}-{rank:04d}"


def term_of(application, issued_on: dt.date) -> tuple[dt.date, dt.date]:
    """The convention's term (R-CRT-2): from its signature, `term_years` (5) years; without a
    signed convention (a TLC dossier accepted by silence before it was sent), from issuance.
    The certificate is valid until the day before the term's anniversary."""
    return term_from(getattr(application, "convention", None), issued_on)


def term_from(convention, issued_on: dt.date) -> tuple[dt.date, dt.date]:
    """`term_of` from the application's convention (None: none yet), read by the caller."""
    start = issued_on
    years = TERM_YEARS
    if convention is not None and convention.signed_at is not None:
        start = timezone.localtime(convention.signed_at).date()
        years = convention.term_years or TERM_YEARS
    end = start + relativedelta(years=years) - dt.timedelta(days=1)
    while end < issued_on:  # a convention signed long ago: its current term
        end += relativedelta(years=years)
    return start, end


def snapshot(certificate: Certificate) -> dict:
    """What the certificate states, as a revision keeps it (dates as ISO strings)."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "number": certificate.number,
        "kind": certificate.kind,
        "status": certificate.status,
        "company_name": certificate.company_name,
        "company_id": certificate.company_id,
        "operator_contact": certificate.operator_contact,
        "product_name": certificate.product_name,
        "product_version": certificate.product_version,
        "modules": certificate.modules,
        "profiles": certificate.profiles,
        "pathway": certificate.pathway,
        "referential": certificate.referential_code,
        "referential_version": certificate.referential_version.number,
        "reservations": certificate.reservations,
        # R-DEC-2: each reservation of the decision, its deadline and its state then.
        "reservation_details": _reservation_details(certificate),
        "issued_on": iso(certificate.issued_on),
        "term_start": iso(certificate.term_start),
        "valid_until": iso(certificate.valid_until),
        "next_check": iso(certificate.next_check),
        "status_changed_on": iso(certificate.status_changed_on),
        "status_reason": certificate.status_reason,
        "withdrawal_ground": certificate.withdrawal_ground,
        "withdrawal_notified_on": iso(certificate.withdrawal_notified_on),
        "withdrawal_effective_on": iso(certificate.withdrawal_effective_on),
    }


def _reservation_details(certificate: Certificate) -> list[dict]:
    from guichet.certificates.verification import reservation_details, reservations_of

    return reservation_details(reservations_of(certificate)) if certificate.decision_id else []


def _contents(application) -> dict:
    """The certificate's statements taken from the application (R-CRT-1; CSP R. 1470-1 ff.:
    the service's name and version, its operator's name and contact details, the referential
    and its version)."""
    form = application.form or {}
    organisation = application.organisation
    version = application.referential_version
    labels = {p.code: p.label for p in version.profiles.all()}
    pathway = application.pathway.label
    if application.pathology_id:  # each pathology claimed on the generic line (R-REF-7)
        names = ", ".join(p.label for p in application.claimed_pathologies)
        pathway = f"{pathway} — {names}"[:255]
    contact = " — ".join(
        value for value in (form.get("contact_email"), form.get("contact_phone")) if value
    )
    return {
        "organisation": organisation,
        "referential_version": version,
        "referential_code": version.referential.code,
        "company_name": organisation.name,
        "company_id": organisation.siren or organisation.vat_number or "",
        "operator_contact": contact[:255],
        "product_name": application.product.name,
        "product_version": application.product_version,
        "modules": [
            {"name": m.name, "version": m.version} for m in application.product.modules.all()
        ],
        "profiles": [
            {"code": code, "label": labels.get(code, code)} for code in application.profiles
        ],
        "pathway": pathway,
    }


def new_revision(
    certificate: Certificate, kind: str, *, by, reason: str = "", effective_on=None
) -> CertificateRevision:
    """Records a change of the certificate as its next revision (the issued one is 1) and has
    the task worker write and seal its PDF. The certificate's fields are already changed."""
    if kind != RevisionKind.ISSUED:
        certificate.revision += 1
        # The previous revision's PDF no longer says what the certificate states: the current
        # PDF is « en préparation » until the worker seals this one (pdf.produce_revision_pdf).
        certificate.pdf, certificate.pdf_sha256 = None, ""
        certificate.save(update_fields=["revision", "pdf", "pdf_sha256", "updated_at"])
    revision = CertificateRevision.objects.create(
        certificate=certificate,
        number=certificate.revision,
        kind=kind,
        reason=reason,
        effective_on=effective_on or timezone.localdate(),
        by=by if getattr(by, "is_authenticated", False) else None,
        status=certificate.status,
        snapshot=snapshot(certificate),
    )
    from guichet.certificates import tasks

    enqueue_on_commit(tasks.produce_certificate_pdf, revision.pk)
    return revision


@transaction.atomic
def issue(decision, *, kind: str = Kind.STANDARD, issued_on: dt.date | None = None) -> Certificate:
    """The certificate of a granted decision (R-CRT-1): numbered, its statements copied from
    the application, valid for the convention's term (R-CRT-2), with the decision's
    reservations (TLC). Called by the committee's sign-off, in its transaction; the collège's
    exceptional certificate (R-CRT-4) has its own term."""
    application = decision.application
    if decision.outcome == "exceptional":
        from guichet.certificates import exceptional

        return exceptional.issue_for_decision(decision)  # the transition's guard checked it
    existing = (
        Certificate.objects.select_for_update().filter(application=application, kind=kind).first()
    )
    if existing is not None:
        if decision.ground == Ground.APPEAL:
            return _follow_appeal(existing, decision)
        raise ApplicationError(
            f"La candidature {application.reference} a déjà son certificat.",
            extra={"status": 409},
        )
    issued_on = issued_on or timezone.localdate()
    return _create(
        application,
        decision=decision,
        kind=kind,
        issued_on=issued_on,
        reservations=list(decision.reservations or []),
        by=decision.signed_off_by,
    )


def _create(application, *, decision, kind, issued_on, reservations, by, valid_until=None):
    """The certificate row, its first revision, the journal entry and the holder's email.
    The TLC exceptional certificate's `valid_until` is the end of its window (R-CRT-4)."""
    contents = _contents(application)
    rank, number = allocate_number(contents["referential_code"], issued_on.year)
    term_start, term_end = term_of(application, issued_on)
    # CSP R. 1470-7 (R-CRT-1): the date of the next check, where the arrêté sets them.
    months = application.referential_version.process_settings.periodic_check_months
    certificate = Certificate.objects.create(
        number=number,
        year=issued_on.year,
        sequence=rank,
        kind=kind,
        application=application,
        decision=decision,
        issued_on=issued_on,
        term_start=term_start,
        valid_until=valid_until or term_end,
        reservations=reservations,
        status_changed_on=issued_on,
        next_check=issued_on + relativedelta(months=months) if months else None,
        **contents,
    )
    new_revision(certificate, RevisionKind.ISSUED, by=by, effective_on=issued_on)
    if kind == Kind.STANDARD:
        from guichet.certificates.exceptional import supersede

        supersede(certificate, by=by)
    record(
        action="certificate.issue",
        obj=certificate,
        by=by,
        application_id=application.pk,
        after={
            "number": number,
            "kind": kind,
            "valid_until": certificate.valid_until.isoformat(),
            "reservations": reservations,
        },
    )
    notify_applicant(
        application,
        f"certificat de conformité {number} délivré",
        f"Le certificat de conformité {number} de {certificate.product_name} "
        f"{certificate.product_version} est délivré ; il est valable jusqu'au "
        f"{french_date(certificate.valid_until)} et publié dans le registre public. Son PDF scellé "
        "sera disponible dans quelques instants sur la page du certificat.",
        kind="certificate",
        legal=True,
        certificate=number,
    )
    return certificate


def _follow_appeal(certificate: Certificate, decision) -> Certificate:
    """A second grant on appeal (e.g. granted with reservations, then granted): the holder
    keeps its certificate and its number; the certificate now rests on the decision on appeal
    and states its reservations, as a new revision (R-CRT-1, R-DEC-2)."""
    if certificate.status not in (Status.VALID, Status.SUSPENDED):
        raise ApplicationError(
            f"Le certificat {certificate.number} est « {certificate.get_status_display()} » : "
            "une décision sur recours ne le rétablit pas. Le produit fait l'objet d'une "
            "nouvelle candidature.",
            extra={"status": 409},
        )
    before = list(certificate.reservations or [])
    after = list(decision.reservations or [])
    certificate.reservations, certificate.decision = after, decision
    certificate.save(update_fields=["reservations", "decision", "updated_at"])
    reason = f"Décision sur recours du {french_date(decision.decided_on)}"
    if before and not after:
        reason += " : réserves levées"
    elif before != after:
        reason += " : réserves modifiées" if before else " : réserves ajoutées"
    revision = new_revision(
        certificate,
        RevisionKind.APPEAL,
        by=decision.signed_off_by,
        reason=reason,
        effective_on=decision.decided_on,
    )
    record(
        action="certificate.appeal",
        obj=certificate,
        by=decision.signed_off_by,
        application_id=certificate.application_id,
        before={"reservations": before},
        after={
            "number": certificate.number,
            "revision": revision.number,
            "decision": decision.pk,
            "reservations": after,
        },
    )
    notify_applicant(
        certificate.application,
        f"certificat de conformité {certificate.number} : décision sur recours",
        f"À la suite de la décision sur recours du {french_date(decision.decided_on)}, le "
        f"certificat de conformité {certificate.number} est réémis (révision "
        f"{revision.number}) "
        + (
            ngettext("avec %(n)d réserve.", "avec %(n)d réserves.", len(after)) % {"n": len(after)}
            if after
            else "sans réserve."
        )
        + " Son PDF scellé sera disponible dans quelques instants sur la page du certificat "
        "et sur sa page de vérification publique.",
        kind="certificate",
        legal=True,
        certificate=certificate.number,
    )
    return certificate
