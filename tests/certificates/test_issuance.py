"""Issuance (R-CRT-1, R-CRT-2): a granted decision issues a numbered certificate naming the
holder, the product, its version and modules, the referential version, the profiles, the
pathway, the term and the reservations; numbers are distinct and gapless under concurrent
issuance, and a rolled-back issuance gives its number back; a second grant on appeal revises
the certificate instead of issuing another; the holder finds its certificate on the application
page."""

import datetime as dt
import html
import threading
import time

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from guichet.certificates.models import Certificate, NumberCounter
from guichet.certificates.services import allocate_number, issue
from guichet.certificates.workflow import transition
from guichet.committee import services as committee
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from tests.certificates.issue_world import on_appeal, pdf_text
from tests.certificates.world import certified, on, small_dmn, small_tlc
from tests.committee.committee_world import decide, finished, session_on
from tests.conftest import committed

pytestmark = pytest.mark.django_db


def test_r_crt_1_a_granted_decision_issues_a_certificate_stating_the_dossier_and_its_term(
    catalogue, people, applicant
):
    version = small_tlc()
    mail.outbox.clear()
    certificate = certified(
        version,
        day=dt.date(2027, 3, 18),
        outcome="granted_with_reservations",
        reservations=["Publier la politique de sauvegarde."],
        **people,
    )
    application = certificate.application
    organisation = applicant.organisation
    assert (certificate.number, certificate.kind, certificate.status) == (
        "CC-TLC-2027-0001",
        "standard",
        "valid",
    )
    assert (certificate.company_name, certificate.company_id) == (
        organisation.name,
        organisation.siren,
    )
    assert (certificate.product_name, certificate.product_version) == (
        application.product.name,
        "1.0",
    )
    assert certificate.modules == [{"name": "Web", "version": "1.0"}]
    assert certificate.referential_version == version and certificate.referential_code == "TLC"
    assert certificate.profiles == [{"code": "general", "label": "Général"}]
    assert certificate.pathway == application.pathway.label
    assert certificate.reservations == ["Publier la politique de sauvegarde."]
    # R-CRT-2: valid for the convention's term, 5 years from its signature.
    signed_on = timezone.localtime(application.convention.signed_at).date()
    assert certificate.issued_on == dt.date(2027, 3, 18)
    assert certificate.term_start == signed_on
    assert certificate.valid_until == signed_on + relativedelta(years=5) - dt.timedelta(days=1)
    revision = certificate.revisions.get()
    assert (revision.number, revision.kind, revision.effective_on, revision.status) == (
        1,
        "issued",
        dt.date(2027, 3, 18),
        "valid",
    )
    assert revision.snapshot["reservations"] == ["Publier la politique de sauvegarde."]
    # Its sealed PDF is the certificate's, with its SHA-256.
    assert certificate.pdf_id == revision.pdf_id is not None
    assert certificate.pdf_sha256 == revision.pdf_sha256 == revision.pdf.sha256
    entry = JournalEntry.objects.get(action="certificate.issue")
    assert entry.after["number"] == "CC-TLC-2027-0001"
    assert entry.application_id == str(application.pk)
    assert JournalEntry.objects.filter(action="certificate.pdf").count() == 1
    (email,) = [m for m in mail.outbox if "CC-TLC-2027-0001 délivré" in m.subject]
    assert "camille@telesante.fr" in email.to


def test_r_crt_1_a_rolled_back_sign_off_gives_its_certificate_number_back(
    catalogue, applicant, instructor, committee_member
):
    version = small_dmn()
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        first = finished(version, applicant=applicant, instructor=instructor)
        second = finished(version, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        decision = decide(session, first, by=committee_member, sign_off=False)
        with pytest.raises(RuntimeError), transaction.atomic():
            committee.sign_off(decision, by=committee_member)
            assert Certificate.objects.get(application=first).number == "CC-DMN-2027-0001"
            raise RuntimeError("ce qui suit la signature échoue : tout est annulé")
        assert not Certificate.objects.exists()
        decide(session, second, by=committee_member)
        with committed():
            committee.sign_off(decision, by=committee_member)
    assert list(Certificate.objects.order_by("sequence").values_list("application", "number")) == [
        (second.pk, "CC-DMN-2027-0001"),
        (first.pk, "CC-DMN-2027-0002"),
    ]


class _RolledBack(Exception):
    pass


def test_r_crt_1_concurrent_issuances_get_distinct_gapless_numbers(transactional_db):
    """PostgreSQL: one issuance holds the counter and rolls back while six others wait on it
    at once; SQLite serializes every writer, so the same property is checked in sequence."""
    issuers = 6
    if connection.vendor != "postgresql":
        with pytest.raises(_RolledBack), transaction.atomic():
            assert allocate_number("DMN", 2027) == (1, "CC-DMN-2027-0001")
            raise _RolledBack
        numbers = []
        for _ in range(issuers):
            with transaction.atomic():
                numbers.append(allocate_number("DMN", 2027)[1])
        assert numbers == [f"CC-DMN-2027-{rank:04d}" for rank in range(1, issuers + 1)]
        assert NumberCounter.objects.get(referential="DMN", year=2027).last == issuers
        return

    holding, release = threading.Event(), threading.Event()
    given_back, numbers, errors = [], [], []

    def rolled_back_issuance():
        try:
            with transaction.atomic():
                given_back.append(allocate_number("DMN", 2027)[1])
                holding.set()
                release.wait(60)
                raise _RolledBack
        except _RolledBack:
            pass
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    def issuance():
        try:
            with transaction.atomic():
                numbers.append(allocate_number("DMN", 2027)[1])
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=rolled_back_issuance)
    first.start()
    holding.wait(60)
    others = [threading.Thread(target=issuance) for _ in range(issuers)]
    for thread in others:
        thread.start()
    # Every other issuance is waiting on the counter row that the first one holds.
    deadline, waiting = time.monotonic() + 60, 0
    while waiting < issuers and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            (waiting,) = cursor.fetchone()
    release.set()
    for thread in (first, *others):
        thread.join(60)
    assert errors == []
    assert waiting == issuers
    assert given_back == ["CC-DMN-2027-0001"]
    assert sorted(numbers) == [f"CC-DMN-2027-{rank:04d}" for rank in range(1, issuers + 1)]
    assert NumberCounter.objects.get(referential="DMN", year=2027).last == issuers


def test_r_crt_1_a_second_grant_on_appeal_revises_the_certificate_and_issues_no_other(
    catalogue, people, committee_member, tmp_path
):
    certificate = certified(
        small_tlc(),
        day=dt.date(2027, 3, 18),
        outcome="granted_with_reservations",
        reservations=["Publier la politique de sauvegarde."],
        **people,
    )
    application = certificate.application
    mail.outbox.clear()
    appeal = on_appeal(application, by=committee_member, day=dt.date(2027, 4, 20))
    certificate.refresh_from_db()
    assert Certificate.objects.filter(application=application).count() == 1
    assert (certificate.number, certificate.revision, certificate.decision) == (
        "CC-TLC-2027-0001",
        2,
        appeal,
    )
    assert certificate.reservations == [] and application.status == "granted"
    first, second = certificate.revisions.order_by("number")
    assert (second.kind, second.get_kind_display(), second.effective_on, second.reason) == (
        "appeal",
        "Décision sur recours",
        dt.date(2027, 4, 20),
        "Décision sur recours du 20 avril 2027 : réserves levées",
    )
    assert second.snapshot["reservations"] == []
    # The new revision's sealed PDF is now the certificate's; the first one stays, with its own
    # SHA-256, so that an older copy is still recognised.
    assert certificate.pdf_id == second.pdf_id and certificate.pdf_sha256 == second.pdf_sha256
    assert first.pdf_id and first.pdf_sha256 and first.pdf_sha256 != second.pdf_sha256
    path = tmp_path / "revision-2.pdf"
    from guichet.files.services import verified_chunks

    path.write_bytes(b"".join(verified_chunks(second.pdf)))
    text = pdf_text(path)
    assert (
        "Révision 2 du 20 avril 2027 : Décision sur recours — Décision sur recours du 20 avril "
        "2027 : réserves levées" in text
    )
    assert "Publier la politique de sauvegarde." not in text
    entry = JournalEntry.objects.get(action="certificate.appeal")
    assert entry.before == {"reservations": ["Publier la politique de sauvegarde."]}
    assert entry.after["revision"] == 2
    (email,) = [m for m in mail.outbox if "CC-TLC-2027-0001 : décision sur recours" in m.subject]
    assert "réémis (révision 2) sans réserve" in email.body

    # A later appeal that sets reservations again says so.
    on_appeal(
        application,
        by=committee_member,
        day=dt.date(2027, 5, 6),
        outcome="granted_with_reservations",
        reservations=["Corriger le flux DMP."],
        reasons="Recours d'un tiers : une réserve est rétablie.",
    )
    certificate.refresh_from_db()
    assert certificate.revision == 3 and certificate.reservations == ["Corriger le flux DMP."]
    assert certificate.revisions.get(number=3).reason == (
        "Décision sur recours du 6 mai 2027 : réserves ajoutées"
    )


def test_r_crt_1_an_appeal_does_not_revive_an_expired_certificate(
    catalogue, people, committee_member
):
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    application = certificate.application
    with on(certificate.valid_until + dt.timedelta(days=1)):
        transition(certificate, "expire", by=None)
    certificate.refresh_from_db()
    expired_revision = certificate.revision  # the expiry's own revision
    with pytest.raises(ApplicationError) as refused:
        on_appeal(application, by=committee_member, day=certificate.valid_until + dt.timedelta(2))
    assert refused.value.extra["status"] == 409
    assert refused.value.message == (
        f"Le certificat {certificate.number} est « Expiré » : une décision sur recours ne le "
        "rétablit pas. Le produit fait l'objet d'une nouvelle candidature."
    )
    certificate.refresh_from_db()
    application.refresh_from_db()
    # The appeal added nothing: no revision after the expiry's.
    assert (certificate.status, certificate.revision, certificate.revisions.count()) == (
        "expired",
        expired_revision,
        expired_revision,
    )
    assert application.status == "granted"
    assert application.decisions.filter(signed_off_at__isnull=False).count() == 1


def test_r_crt_1_the_holder_finds_its_certificate_on_the_application_page_others_nothing(
    catalogue,
    people,
    client,
    member,
    stranger,
    committee_member,
    django_capture_on_commit_callbacks,
):
    version = small_tlc()
    with on(dt.date(2027, 3, 15)):
        session = session_on(
            dt.date(2027, 3, 18),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        application = finished(
            version, applicant=people["applicant"], instructor=people["instructor"]
        )
    page_url = reverse("applications:detail", args=[application.pk])
    with on(dt.date(2027, 3, 18)):
        decision = decide(
            session,
            application,
            by=committee_member,
            outcome="granted_with_reservations",
            reservations=["Publier la politique de sauvegarde."],
            sign_off=False,
        )
        with django_capture_on_commit_callbacks(execute=False) as waiting:
            committee.sign_off(decision, by=committee_member)
        client.force_login(member)
        page = client.get(page_url).content.decode()
        assert "N° CC-TLC-2027-0001 — valide" in page and "En préparation" in page
        for callback in waiting:
            callback()
    certificate = Certificate.objects.get()
    page = html.unescape(client.get(page_url).content.decode())
    file_url = reverse("applications:file", args=[application.pk, certificate.pdf_id])
    verify_url = reverse("certificates:verify", args=[certificate.number])
    for expected in (
        "Certificat de conformité",
        "N° CC-TLC-2027-0001 — valide",
        "Valide jusqu'au 14 mars 2032.",
        "Publier la politique de sauvegarde.",
        file_url,
        verify_url,
        'href="#certificat"',  # from the decision's panel
    ):
        assert expected in page, expected
    served = client.get(file_url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"%PDF")
    assert served["X-Content-SHA256"] == certificate.pdf_sha256
    client.force_login(committee_member)
    assert file_url in client.get(page_url).content.decode()
    client.force_login(stranger)
    assert client.get(page_url).status_code == 404
    assert client.get(file_url).status_code == 404


def test_r_crt_1_a_decision_issues_its_certificate_once(catalogue, people):
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    with pytest.raises(ApplicationError) as again:
        issue(certificate.decision)
    assert again.value.extra["status"] == 409
    assert again.value.message == (
        f"La candidature {certificate.application.reference} a déjà son certificat."
    )
    assert Certificate.objects.count() == 1 and certificate.revisions.count() == 1
    assert NumberCounter.objects.get(referential="DMN", year=2027).last == 1


def test_r_crt_1_once_certified_the_application_version_no_longer_changes(
    catalogue, people, client
):
    """The certificate states the version: the application's stays as certified; an evolution
    goes through the certificate's page or a new application."""
    from guichet.applications.services import update_product_version

    certificate = certified(small_dmn(), **people)
    application = certificate.application
    with pytest.raises(ApplicationError) as refused:
        update_product_version(
            by=people["applicant"], application=application, product_version="9.9"
        )
    assert refused.value.extra["status"] == 409
    application.refresh_from_db()
    assert application.product_version == certificate.product_version
    client.force_login(people["applicant"])
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Mettre à jour la version" not in page
