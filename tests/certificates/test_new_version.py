# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""A new referential version in force (R-CRT-3): the agency lists the live certificates of the
earlier versions, notifies their holders, and tracks for DMN telesurveillance the 15 days to ask
for a new certificate (CSS R. 162-76 VI); TLC: the arrêté's delay, none set by default."""

import datetime as dt

import pytest
from django.urls import reverse

from guichet.applications.services import create_application
from guichet.certificates.new_version import concerned, due_date, notify_new_version
from guichet.certificates.sweep import sweep
from guichet.common.errors import ApplicationError
from tests.certificates.life_world import (  # noqa: F401
    issued,
    life_dmn,
    life_tlc,
    next_version,
    notices,
    told,
)
from tests.certificates.world import on
from tests.fixtures import complete_dmn_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_dmn(catalogue, people, monkeypatch):
    """Two DMN certificates of the same version: telesurveillance (LATM) and not (LPPR)."""
    version = life_dmn()
    latm = issued(version, signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    monkeypatch.setattr(
        "tests.instruction.instruction_world.complete_dmn_form",
        lambda: complete_dmn_form(reimbursement_list="LPPR"),
    )
    lppr = issued(version, signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 11), **people)
    return latm, lppr


def test_r_crt_3_dmn_telesurveillance_holders_have_15_days_to_ask_for_a_new_certificate(
    two_dmn, instructor, applicant, notices, client
):
    latm, lppr = two_dmn
    with on(dt.date(2028, 1, 20)):
        new = next_version("DMN", entry_into_force=dt.date(2028, 2, 1))
        assert {c.number for c in concerned(new)} == {latm.number, lppr.number}
        client.force_login(instructor)
        page = client.get(reverse("certificates:new-version", args=[new.pk]))
        assert page.status_code == 200
        assert "16 février 2028" in page.content.decode()
        notified = client.post(
            reverse("certificates:new-version-notify", args=[new.pk]),
            {"confirm": "on"},
            follow=True,
        )
        assert "2 titulaires notifiés." in notified.content.decode()
        assert notify_new_version(new, by=instructor) == 0  # told once
    latm.refresh_from_db()
    lppr.refresh_from_db()
    assert latm.new_version_notified == new and lppr.new_version_notified == new
    assert latm.new_certificate_due == dt.date(2028, 2, 16)
    assert lppr.new_certificate_due is None
    (email,) = told(notices, latm, "nouvelle version du référentiel")
    assert "avant le 16 février 2028" in email.body and "R. 162-76 VI" in email.body
    assert "avant le" not in told(notices, lppr, "nouvelle version du référentiel")[0].body

    # The delay runs out without a new application for the LATM product: the agency is told.
    assert sweep(today=dt.date(2028, 2, 16)).windows_overdue == 0
    assert sweep(today=dt.date(2028, 2, 17)).windows_overdue == 1
    assert sweep(today=dt.date(2028, 2, 18)).windows_overdue == 0


def test_r_crt_3_a_new_application_filed_in_time_is_shown_and_not_flagged(
    two_dmn, instructor, applicant
):
    latm, _ = two_dmn
    with on(dt.date(2028, 1, 20)):
        new = next_version("DMN", entry_into_force=dt.date(2028, 2, 1))
        notify_new_version(new, by=instructor)
    with on(dt.date(2028, 2, 5)):
        from guichet.applications.services import save_draft, submit
        from tests.fixtures import deposit_required_documents

        application = create_application(
            by=applicant,
            product=latm.application.product,
            product_version="2.0",
            referential_version=new,
            pathway_code="nom_de_marque",
        )
        save_draft(
            by=applicant,
            application=application,
            data={"form": complete_dmn_form(), "profiles": ["general"]},
        )
        deposit_required_documents(application, applicant)
        submit(by=applicant, application=application)
    rows = {c.number: c.new_application_filed for c in concerned(new)}
    assert rows[latm.number] is True
    assert sweep(today=dt.date(2028, 2, 17)).windows_overdue == 0


def test_r_crt_3_tlc_has_no_delay_unless_the_version_sets_one(catalogue, people, instructor):
    certificate = issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    with on(dt.date(2028, 1, 20)):
        unset = next_version("TLC", entry_into_force=dt.date(2028, 2, 1))
        assert due_date(certificate, unset) is None
        with_delay = next_version(
            "TLC", entry_into_force=dt.date(2028, 3, 1), new_certificate_days=90
        )
        assert due_date(certificate, with_delay) == dt.date(2028, 5, 30)
        draft = next_version("TLC", entry_into_force=dt.date(2028, 4, 1))
        draft.entry_into_force = None
        with pytest.raises(ApplicationError, match="pas de date d'entrée en vigueur"):
            notify_new_version(draft, by=instructor)


def test_r_crt_3_only_the_agency_s_managers_notify_a_new_version(
    catalogue, people, committee_member
):
    version = life_tlc()
    issued(version, signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    with on(dt.date(2028, 1, 20)):
        new = next_version("TLC", entry_into_force=dt.date(2028, 2, 1))
        with pytest.raises(ApplicationError, match="revient à l'administrateur") as refused:
            notify_new_version(new, by=committee_member)
    assert refused.value.extra["status"] == 403
    assert concerned(new).filter(new_version_notified=new).count() == 0


def test_r_crt_3_no_tacit_renewal_on_a_replaced_version_whose_delay_ran_out(
    two_dmn, instructor, notices
):
    """DMN guide §6.2: « Le certificat de conformité doit être renouvelé s'il y a
    non-conformité d'une ou plusieurs exigences du référentiel avec le DMN (soit le référentiel
    a changé, soit le DMN a évolué) ». Once the delay to ask for a new certificate ran out, the
    certificate of the replaced version is not renewed tacitly at its term: the holder and the
    agency are told, the reminder and the term say so, and it expires."""
    from guichet.certificates import renewal, term_end
    from guichet.certificates.models import Status

    latm, lppr = two_dmn
    with on(dt.date(2028, 1, 20)):
        new = next_version("DMN", entry_into_force=dt.date(2028, 2, 1))
        notify_new_version(new, by=instructor)
    assert sweep(today=dt.date(2028, 2, 17)).windows_overdue == 1
    (flag,) = told(notices, latm, "nouveau certificat non sollicité")
    assert "ne sera pas reconduit à son terme" in flag.body
    latm.refresh_from_db()
    end = latm.valid_until + dt.timedelta(days=1)
    assert term_end.of(latm) == term_end.EXPIRY
    assert term_end.words_of(latm).startswith(f"Expiration le {french(end)}")
    assert renewal.term_event(latm) == f"Expiration le {french(end)}"
    assert "ne sera donc pas reconduit" in renewal.term_outlook(latm)
    assert term_end.of(lppr) == term_end.RENEWAL  # no delay for the LPPR product: renewed

    report = sweep(today=end)
    latm.refresh_from_db()
    lppr.refresh_from_db()
    assert latm.status == Status.EXPIRED and latm.status_changed_on == end
    assert "sans reconduction tacite" in latm.status_reason
    assert "version du référentiel du certificat a été remplacée" in latm.status_reason
    assert lppr.status == Status.VALID and lppr.renewals == 1
    assert report.expired == 1 and report.renewed == 1


def french(day):
    from guichet.deadlines import french_date

    return french_date(day)


def test_r_crt_3_the_holders_new_application_link_chooses_the_product_and_the_new_version(
    two_dmn, client, applicant, instructor
):
    """DMN guide §6.2 / R-CRT-3: when the referential is republished, « une nouvelle
    candidature » is needed: « Déposer une nouvelle candidature pour <produit> » on the
    certificate's page opens the new-application form with the product and the new version
    already chosen (the version its holder was told of)."""
    import html

    latm, _ = two_dmn
    page = reverse("certificates:manage", args=[latm.number])
    with on(dt.date(2027, 6, 1)):
        client.force_login(applicant)
        # Before any new version: its referential's latest version open for applications.
        body = html.unescape(client.get(page).content.decode())
        assert f"?product={latm.application.product_id}&referential_version=" in body
        new = next_version("DMN", entry_into_force=dt.date(2027, 6, 1))
        client.force_login(instructor)
        notify_new_version(new, by=instructor)
        client.force_login(applicant)
        body = html.unescape(client.get(page).content.decode())
        link = reverse("applications:create") + (
            f"?product={latm.application.product_id}&referential_version={new.pk}"
        )
        assert f'href="{link}">Déposer une nouvelle candidature pour {latm.product_name}' in body
        form = client.get(link).content.decode()
    assert f'<option value="{latm.application.product_id}" selected>' in form
    assert f'<option value="{new.pk}" selected>' in form
