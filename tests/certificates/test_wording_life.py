# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The words of the certificate's life (issue 22 §5): each sentence a person reads is written
once, in proper French — elision, plurals, punctuation, proper names — and says to whom it
speaks what that person is to expect."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from guichet.certificates.lifecycle import act
from guichet.certificates.models import Certificate, StrikeOffGround
from guichet.certificates.sweep import sweep
from guichet.referentials.wording import of_name
from tests.certificates.life_world import issued, life_dmn, notices, told  # noqa: F401
from tests.certificates.world import on

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2027, 3, 4)


@pytest.fixture
def certificate(catalogue, people):
    return issued(life_dmn(), signed=dt.date(2027, 2, 1), day=ISSUED, **people)


def text(response) -> str:
    """What a reader sees: no tags, single spaces."""
    assert response.status_code == 200
    body = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(body.split())


def agency_page(client, user, certificate) -> str:
    client.force_login(user)
    return text(client.get(reverse("certificates:agency-detail", args=[certificate.number])))


def holder_page(client, user, certificate) -> str:
    client.force_login(user)
    return text(client.get(reverse("certificates:manage", args=[certificate.number])))


def test_r_crt_7_a_product_named_with_a_vowel_is_struck_off_with_an_elision(
    certificate, instructor, notices
):
    """DMN guide §6.2: the agency « demande la radiation » of the product; French elides « de »
    before a vowel: « la radiation d'OrthoSuivi »."""
    assert (of_name("OrthoSuivi"), of_name("Élan"), of_name("CardioTrack")) == (
        "d'OrthoSuivi",
        "d'Élan",
        "de CardioTrack",
    )
    assert of_name("  Holter   Web ") == "de Holter Web"
    # The name the certificate states (not a state): as the holder typed it, « OrthoSuivi ».
    Certificate.objects.filter(pk=certificate.pk).update(product_name="OrthoSuivi")
    certificate.refresh_from_db()
    with on(dt.date(2027, 6, 1)):
        act(
            certificate,
            "withdraw",
            by=instructor,
            reason="L'audit n'a pas permis de vérifier le respect des référentiels.",
            ground="fault_not_conforme",
        )
        act(certificate, "request_strike_off", by=instructor, ground=StrikeOffGround.AUDIT_FAILED)
    (email,) = told(notices, certificate, "radiation")
    assert "la radiation d'OrthoSuivi de la liste LATM" in email.body
    assert "radiation de OrthoSuivi" not in email.body


def test_r_crt_7_the_strike_off_form_names_each_field_and_keeps_lppr_latm_in_capitals(
    client, certificate, agency_admin
):
    """DMN guide §6.2: « l'ANS demande la radiation … de la LPPR / LATM »: proper names keep
    their capitals in the confirmation; the ground and the details have their own labels."""
    with on(dt.date(2027, 6, 1)):
        client.force_login(agency_admin)
        body = client.get(
            reverse("certificates:agency-detail", args=[certificate.number])
        ).content.decode()
    form = body[body.index('id="ground-strike"') - 200 :]
    form = form[: form.index("</form>")]
    assert "Motif de la demande de radiation" in form
    assert "Précisions (faits, dates)" in form
    assert not re.search(r'class="fr-label"[^>]*>Motif\s*<', form)
    assert "Je confirme « demander la radiation de la LPPR / LATM »" in html.unescape(form)
    assert "lppr" not in form


def test_r_crt_5_a_suspension_says_suspended_once_with_its_reason(client, certificate, instructor):
    """CSP R. 1470-9: the certificate « peut être suspendu jusqu'à ce que les non-conformités
    … soient corrigées »: the page says « Suspendu depuis le … », then why, not « Suspendu »
    twice."""
    with on(dt.date(2027, 6, 1)):
        act(
            certificate,
            "give_formal_notice",
            by=instructor,
            reason="Les traces d'accès ne sont plus conservées.",
            kind="non_conformity",
            deadline=dt.date(2027, 8, 1),
            suspend=True,
        )
        page = agency_page(client, instructor, certificate)
    assert (
        "Suspendu depuis le 1er juin 2027 — Jusqu'à la correction de non-conformités, à la suite "
        "d'une mise en demeure (article R. 1470-9 du code de la santé publique)." in page
    )
    # The facts stay in the notice itself, which the page shows to the agency and the holder.
    assert "Les traces d'accès ne sont plus conservées." in page
    assert "Suspendu jusqu'à" not in page


def test_r_crt_5_an_overdue_notice_asks_the_agency_to_close_it_in_good_french(
    certificate, instructor, notices
):
    """R-CRT-5: the agency is told once a formal notice's deadline passed: « clos-la », the
    imperative of « clore »."""
    with on(dt.date(2027, 6, 1)):
        act(
            certificate,
            "give_formal_notice",
            by=instructor,
            reason="La politique de sécurité n'est pas à jour.",
            kind="non_conformity",
            deadline=dt.date(2027, 7, 1),
        )
    assert sweep(today=dt.date(2027, 7, 2)).notices_overdue == 1
    (notice,) = [n for n in notices if "mise en demeure échue" in n.subject]
    assert "clos-la (non-conformités corrigées) ou retirez le certificat" in notice.body
    assert "close-la" not in notice.body


def test_r_crt_2_the_holders_own_act_is_confirmed_to_the_holder(
    client, certificate, applicant, instructor
):
    """R-CRT-2: the holder notifies the non-renewal itself: its confirmation speaks to it
    (« vous »), not about « le titulaire »; the agency's own forms still tell the holder."""
    with on(dt.date(2027, 6, 1)):
        page = holder_page(client, applicant, certificate)
        agency = agency_page(client, instructor, certificate)
    assert (
        "Je confirme « notifier la non-reconduction » ; vous en recevez la confirmation par "
        "courriel et l'acte est inscrit au journal." in page
    )
    assert "le titulaire en est informé" not in page
    assert "le titulaire en est informé par courriel" in agency


def test_r_crt_6_a_withdrawn_certificate_tells_its_holder_what_follows(
    client, certificate, applicant, agency_admin
):
    """R-CRT-6: after a withdrawal the certificate no longer attests conformity; a new
    application is the way back (DMN and TLC §5.2: « devra alors déposer une nouvelle
    candidature »)."""
    with on(dt.date(2027, 6, 1)):
        page = holder_page(client, applicant, certificate)
        assert "Ce certificat est retiré" not in page
        act(
            certificate,
            "withdraw",
            by=agency_admin,
            reason="Le produit n'est plus conforme.",
            ground="fault_not_conforme",
        )
        page = holder_page(client, applicant, certificate)
    assert (
        "Ce certificat est retiré : il n'atteste plus la conformité du produit et n'appelle plus "
        "de démarche de votre part. Pour faire certifier le produit de nouveau, déposez une "
        "nouvelle candidature" in page
    )
    assert "Aucune démarche à faire sur ce certificat" not in page


def test_r_crt_5_a_notified_withdrawal_is_not_a_validity_period_in_progress(
    client, certificate, agency_admin
):
    """CSP R. 1470-9: the withdrawal may take effect later; until then the certificate is
    valid, but its verification page does not call that « période de validité en cours »."""
    with on(dt.date(2027, 6, 1)):
        act(
            certificate,
            "withdraw",
            by=agency_admin,
            reason="Le produit n'est plus conforme.",
            ground="fault_not_conforme",
            effective_on=dt.date(2027, 9, 1),
        )
        page = text(client.get(f"/certificats/{certificate.number}/"))
    assert "Valable, jusqu'à la prise d'effet du retrait du" in page
    assert "au 31 août 2027" in page
    assert "Période de validité en cours" not in page
