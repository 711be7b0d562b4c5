"""The convention (R-CONV-1, R-CONV-3): generated at admissibility (DMN), signed by the
Responsable habilité after confirming, sealed with PAdES; pdfsig checks the signature."""

import subprocess

import pytest
from django.conf import settings
from django.core import mail

from guichet.conventions.models import Convention
from guichet.conventions.services import send_convention
from guichet.evidence.selectors import evidence_open
from guichet.files.models import StoredFile
from tests.conftest import PASSWORD, TOTP_SECRET, totp_code
from tests.workflow import every_item, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def admissible(dmn_admissible):
    """A DMN application declared recevable: its convention was sent (R-CONV-1)."""
    return dmn_admissible


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def sign(api, application, **payload):
    return api.post(
        f"/api/v1/applications/{application.pk}/convention/sign", payload, format="json"
    )


def test_r_conv_1_recevable_dmn_application_receives_its_convention(admissible):
    convention = Convention.objects.get(application=admissible)
    assert convention.number == f"CONV-{admissible.reference}" and not convention.is_signed
    assert "convention à signer" in mail.outbox[-1].subject
    assert evidence_open(admissible) is False  # not before the signature


def test_r_conv_3_signed_convention_is_a_valid_pades_pdf_and_tampering_is_detected(
    api, applicant, admissible, tmp_path, django_capture_on_commit_callbacks
):
    api.force_authenticate(applicant)
    draft = b"".join(
        api.get(f"/api/v1/applications/{admissible.pk}/convention.pdf").streaming_content
    )
    assert draft.startswith(b"%PDF") and b"/ByteRange" not in draft
    with django_capture_on_commit_callbacks(execute=True):  # the worker seals it
        response = sign(api, admissible, password=PASSWORD)
    assert response.status_code == 200, response.content
    signed = b"".join(
        api.get(f"/api/v1/applications/{admissible.pk}/convention.pdf").streaming_content
    )
    path = tmp_path / "convention.pdf"
    path.write_bytes(signed)
    report = pdfsig(path)
    assert "Signature is Valid." in report
    assert "ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    # One byte of the signed content changed: pdfsig reports the signature invalid.
    start = (
        signed.index(b"Convention de certification")
        if b"Convention de certification" in signed
        else 200
    )
    tampered = bytearray(signed)
    tampered[start] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    assert "Signature is Valid." not in pdfsig(bad)
    assert evidence_open(admissible) is True


def test_r_conv_1_signature_requires_the_password_or_a_totp_code(api, applicant, admissible):
    from allauth.mfa.totp.internal.auth import TOTP

    api.force_authenticate(applicant)
    wrong = sign(api, admissible, password="pas-le-bon")
    assert wrong.status_code == 400 and "Mot de passe incorrect" in wrong.json()["detail"]
    assert not Convention.objects.get(application=admissible).is_signed
    TOTP.activate(applicant, TOTP_SECRET)
    assert sign(api, admissible, otp="000000").status_code == 400
    assert sign(api, admissible, otp=totp_code()).status_code == 200
    again = sign(api, admissible, password=PASSWORD)
    assert again.status_code == 409


def test_r_conv_1_only_the_responsable_habilite_signs(
    api, applicant, member, admissible, instructor
):
    files = StoredFile.objects.count()
    api.force_authenticate(member)
    assert sign(api, admissible, password=PASSWORD).status_code == 403
    api.force_authenticate(instructor)
    assert sign(api, admissible, password=PASSWORD).status_code == 403
    assert StoredFile.objects.count() == files  # nothing signed, nothing sealed
    assert not Convention.objects.get(application=admissible).is_signed


def test_r_conv_1_decision_admissible_sends_the_dmn_convention(
    api, instructor, applicant, dmn_application
):
    from guichet.applications import review
    from guichet.applications.services import save_draft, submit
    from tests.fixtures import (
        DMN_ANSWERS,
        DMN_PROFILES,
        complete_dmn_form,
        deposit_required_documents,
    )

    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
    )
    deposit_required_documents(dmn_application, applicant)
    submit(by=applicant, application=dmn_application)
    for entry in review.reviewable_items(dmn_application):
        review.set_verdict(
            by=instructor, application=dmn_application, item=entry["item"], verdict="conforme"
        )
    review.decide(by=instructor, application=dmn_application, decision="admissible")
    assert Convention.objects.filter(application=dmn_application).exists()
    assert settings.GUICHET_SIGNING_P12


def test_r_conv_1_signing_on_the_page_needs_the_confirmation(
    client, applicant, admissible, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[admissible.pk])).content.decode()
    assert "Signer la convention" in page
    url = reverse("conventions:sign", args=[admissible.pk])
    client.post(url, {"password": PASSWORD})
    assert not Convention.objects.get(application=admissible).is_signed
    with django_capture_on_commit_callbacks(execute=True):  # the worker seals it
        client.post(url, {"password": PASSWORD, "confirm": "on"})
    assert Convention.objects.get(application=admissible).is_signed
    page = client.get(reverse("applications:detail", args=[admissible.pk])).content.decode()
    assert "Télécharger la convention signée" in page
    # Signed once: the page no longer offers to sign it, not even as a disabled action.
    assert "Signer la convention" not in page
    assert "La convention est déjà signée." not in page


def test_r_conv_1_tlc_evidence_opens_with_admissibility_and_its_convention_can_be_sent(
    applicant, product, tlc, instructor
):
    from guichet.applications.services import create_application

    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )
    application = walk(application, "admissible", applicant=applicant, instructor=instructor)
    assert not Convention.objects.filter(application=application).exists()  # not yet (TLC)
    assert evidence_open(application) is True  # no signature needed first for TLC
    convention = send_convention(
        application, by=instructor
    )  # the review issue calls this (R-CONV-2)
    assert convention.number.startswith("CONV-TLC-") and not convention.is_signed
    assert send_convention(application, by=instructor).pk == convention.pk  # sent once


def test_r_conv_3_the_task_worker_seals_the_signed_convention_after_the_request(
    client, applicant, admissible, django_capture_on_commit_callbacks
):
    """The request records the signature; the sealed PDF comes from the task worker."""
    from django.urls import reverse

    client.force_login(applicant)
    url = reverse("conventions:sign", args=[admissible.pk])
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = client.post(url, {"password": PASSWORD, "confirm": "on"}, follow=True)
    convention = Convention.objects.get(application=admissible)
    assert convention.is_signed and not convention.is_sealed
    assert "quelques instants" in response.content.decode()  # said on the page
    assert evidence_open(admissible) is True  # the signature opens the deposit (R-CONV-1)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:  # the commit: the worker runs the sealing task
            callback()
    convention.refresh_from_db()
    assert convention.is_sealed and convention.signed.content_type == "application/pdf"
    assert "convention signée" in mail.outbox[-1].subject


def test_r_conv_1_convention_pdf_is_prepared_by_the_worker_not_the_decision(
    client, applicant, dmn_application, instructor, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from guichet.applications import review

    walk(dmn_application, "submitted", applicant=applicant, instructor=instructor)
    review.set_verdicts(
        by=instructor, application=dmn_application, opinions=every_item(dmn_application)
    )
    files = StoredFile.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        review.decide(by=instructor, application=dmn_application, decision="admissible")
    convention = Convention.objects.get(application=dmn_application)
    assert not convention.is_ready and StoredFile.objects.count() == files
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[dmn_application.pk])).content.decode()
    assert "en préparation" in page and 'id="sign-password"' not in page  # no form yet
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:  # the commit: the worker prepares the PDF
            callback()
    convention.refresh_from_db()
    assert convention.is_ready and "convention à signer" in mail.outbox[-1].subject


def test_the_convention_numbers_its_articles_without_gaps():
    """The guides cite its articles 14, 15 and 16 (termination): those keep their numbers, and
    none is missing before them."""
    import re as regex

    from guichet.conventions.services import ARTICLES

    numbers = [int(regex.match(r"Article (\d+) — ", title).group(1)) for title, _ in ARTICLES]
    assert numbers == list(range(1, len(ARTICLES) + 1))
    titles = dict((int(t.split()[1]), t) for t, _ in ARTICLES)
    assert "plein droit" in titles[14] and "fraude" in titles[15] and "faute" in titles[16]


def test_r_conv_3_the_convention_points_at_the_product_where_the_pdf_names_it(admissible, tmp_path):
    """Issue 19: the product is named in the table at the top of the PDF, before the
    articles: article 1 says « ci-dessus », the opening sentence (before the table)
    « ci-dessous »."""
    from guichet.conventions.services import render_pdf

    path = tmp_path / "convention.pdf"
    path.write_bytes(render_pdf(admissible, "CONV-TEST").read())
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    opening = text.index("le candidat désigné ci-dessous")
    product = text.index(f"{admissible.product.name} — version {admissible.product_version}")
    article = text.index("Article 1 — Objet")
    assert opening < product < article
    assert "du produit désigné ci-dessus au référentiel indiqué" in text[article:]
    assert "ci-dessous" not in text[product:]


def test_r_crt_6_each_ground_of_termination_says_no_indemnity(admissible, tmp_path):
    """DMN guide §6.1 and TLC guide §7.1, for each ground of the convention: « L'abrogation de
    certification de conformité et la résiliation de la Convention ne donnent lieu à aucune
    indemnisation » (article 14), « En cas de résiliation au titre du présent Article, l'ENS ne
    peut prétendre à une quelconque indemnisation » (article 15), and the same after the faults
    of article 16. The generated convention says it under each of the three articles."""
    import re as regex

    from guichet.conventions.services import render_pdf

    path = tmp_path / "convention.pdf"
    path.write_bytes(render_pdf(admissible, "CONV-TEST").read())
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    articles = dict(
        (int(number), body)
        for number, body in regex.findall(r"Article (\d+) — (.*?)(?=Article \d+ — |$)", text)
    )
    for number in (14, 15, 16):
        assert regex.search(r"aucune indemnisation", articles[number]), number
    assert all("indemnisation" not in articles[n] for n in articles if n not in (14, 15, 16))
