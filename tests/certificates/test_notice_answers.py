# ruff: noqa: F811 (fixtures imported from tests.certificates.life_world)
"""The holder during a formal notice (R-CRT-5, issue 22 §2): its pages show the notice, its
deadline and what to do; it answers on the platform with a text and files, journaled; the
agency is told and sees the answers on its page and through the API; answers may follow one
another until the agency closes the notice. Anyone else is refused."""

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guichet.certificates.lifecycle import act
from guichet.certificates.models import FormalNoticeAnswer
from guichet.files.models import StoredFile
from guichet.journal.models import JournalEntry
from tests.certificates.life_world import issued, life_tlc, notices  # noqa: F401
from tests.certificates.world import on
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2027, 6, 1)


@pytest.fixture
def certificate(catalogue, people, instructor):
    certificate = issued(life_tlc(), signed=dt.date(2027, 2, 1), day=dt.date(2027, 3, 4), **people)
    with on(ISSUED):
        act(
            certificate,
            "give_formal_notice",
            by=instructor,
            reason="Le flux INS ne qualifie pas l'identité.",
            kind="non_conformity",
            deadline=dt.date(2027, 9, 1),
        )
    certificate.refresh_from_db()
    return certificate


def text(response) -> str:
    return html.unescape(response.content.decode())


def pdf(name="mesures.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_r_crt_5_the_holders_pages_show_the_notice_its_deadline_and_what_to_do(
    certificate, client, member
):
    """CSP R. 1470-9 I: the agency « met en demeure le titulaire du certificat de conformité de
    prendre des mesures correctrices ou de présenter ses observations sur les non-conformités
    relevées dans un délai qu'il fixe »: the holder reads what, and by when."""
    notice = certificate.formal_notices.get()
    application = reverse("applications:detail", args=[certificate.application_id])
    manage = reverse("certificates:manage", args=[certificate.number])
    with on(dt.date(2027, 6, 2)):
        client.force_login(member)
        page = text(client.get(application))
        assert "Aucune action de votre part n'est attendue" not in page
        assert (
            f"Mise en demeure du 1er juin 2027 sur le certificat {certificate.number} : Prenez "
            "les mesures correctrices, ou présentez vos observations, sur les non-conformités "
            "relevées au plus tard le 1er septembre 2027" in page
        )
        assert f"{manage}#mise-en-demeure-{notice.pk}" in page
        page = text(client.get(manage))
    assert f'id="mise-en-demeure-{notice.pk}"' in page
    assert "échéance le 1er septembre 2027" in page
    assert "Le flux INS ne qualifie pas l'identité." in page
    assert "Envoyer la réponse à l'agence" in page
    with on(dt.date(2027, 9, 2)):
        client.force_login(member)
        late = text(client.get(manage))
    assert "L'échéance du 1er septembre 2027 est passée : l'agence décide de la suite" in late
    assert "Envoyer la réponse à l'agence" in late  # until the agency decides


def test_r_crt_5_the_holder_answers_with_files_and_the_agency_sees_every_answer(
    certificate, client, api, member, applicant, instructor, notices
):
    """The holder answers on the platform — a text and files, as an information request — the
    answer is journaled, the agency told; it sees the answers on its page and through the API.
    A second answer may follow until the agency closes the notice."""
    notice = certificate.formal_notices.get()
    url = reverse("certificates:notice-answer", args=[certificate.number, notice.pk])
    with on(dt.date(2027, 7, 1)):
        client.force_login(member)
        done = client.post(
            url, {"text": "Correctif INS déployé le 28 juin.", "files": [pdf(), pdf("recette.pdf")]}
        )
        assert done.status_code == 302
        assert "avec 2 pièces jointes" in text(client.get(done["Location"]))
    answer = FormalNoticeAnswer.objects.get()
    assert (answer.answered_on, answer.by, answer.files.count()) == (dt.date(2027, 7, 1), member, 2)
    entry = JournalEntry.objects.get(action="certificate.formal_notice_answer")
    assert entry.after["notice"] == notice.pk and len(entry.after["files"]) == 2
    (told,) = [n for n in notices if n.audience == "instructors" and "réponse" in n.subject]
    assert "Correctif INS déployé le 28 juin." in told.body and "mesures.pdf" in told.body
    assert "1re réponse" in told.body

    # A second answer, through the API (multipart: the text and a file in one request).
    answers = f"/api/v1/certificates/{certificate.number}/formal-notices/{notice.pk}/answers"
    api.force_authenticate(applicant)
    with on(dt.date(2027, 7, 15)):
        second = api.post(
            answers,
            {"text": "Rapport de recette joint.", "files": [pdf("rapport.pdf")]},
            format="multipart",
        )
    assert second.status_code == 201, second.content
    body = second.json()
    assert [a["answered_on"] for a in body["answers"]] == ["2027-07-01", "2027-07-15"]
    assert body["answers"][1]["files"][0]["name"] == "rapport.pdf"
    assert body["open"] is True and "au plus tard le 1er septembre 2027" in body["what_to_do"]

    # The agency: its page and the API show both answers; it downloads their files.
    agency = reverse("certificates:agency-detail", args=[certificate.number])
    with on(dt.date(2027, 7, 16)):
        client.force_login(instructor)
        page = text(client.get(agency))
        assert "Le 1er juillet 2027 : Correctif INS déployé le 28 juin." in page
        assert "Le 15 juillet 2027 : Rapport de recette joint." in page
        file_url = body["answers"][1]["files"][0]["url"]
        assert file_url in page
        download = client.get(file_url)
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
        api.force_authenticate(instructor)
        listed = api.get(f"/api/v1/certificates/{certificate.number}/formal-notices").json()
        assert [len(n["answers"]) for n in listed] == [2]
        # The agency closes the notice: no more answers.
        act(certificate, "close_formal_notice", by=instructor, reason="Corrigé.", fixed=True)
    with on(dt.date(2027, 7, 17)):
        api.force_authenticate(applicant)
        closed = api.post(answers, {"text": "Encore."}, format="multipart")
        assert (
            closed.status_code == 409
            and "est close depuis le 16 juillet 2027" in (closed.json()["detail"])
        )
        client.force_login(member)
        page = text(client.get(reverse("certificates:manage", args=[certificate.number])))
    assert "Envoyer la réponse à l'agence" not in page
    assert FormalNoticeAnswer.objects.count() == 2


def test_r_crt_5_an_answer_refused_keeps_its_text_and_keeps_no_file(
    certificate, client, api, member, instructor, stranger
):
    """An answer without text, or with a file whose content is not what its name says, is
    refused in French with what was typed kept, and no file is kept; the agency does not answer
    for the holder (403); another organisation finds nothing (404)."""
    notice = certificate.formal_notices.get()
    url = reverse("certificates:notice-answer", args=[certificate.number, notice.pk])
    answers = f"/api/v1/certificates/{certificate.number}/formal-notices/{notice.pk}/answers"
    files = StoredFile.objects.count()
    with on(dt.date(2027, 7, 1)):
        client.force_login(member)
        empty = client.post(url, {"text": "   ", "files": [pdf()]})
        assert empty.status_code == 400
        assert "Écrivez votre réponse" in text(empty)
        forged = client.post(
            url,
            {
                "text": "Voici le correctif.",
                "files": [SimpleUploadedFile("correctif.pdf", b"MZ\x90\x00binaire")],
            },
        )
        assert forged.status_code == 415
        page = text(forged)
        assert ">Voici le correctif.</textarea>" in page and "Joignez-les à nouveau" in page
        api.force_authenticate(instructor)
        assert api.post(answers, {"text": "Pour lui."}, format="multipart").status_code == 403
        api.force_authenticate(stranger)
        assert api.post(answers, {"text": "x"}, format="multipart").status_code == 404
        assert api.get(f"/api/v1/certificates/{certificate.number}/formal-notices").status_code == (
            404
        )
        client.force_login(stranger)
        assert client.post(url, {"text": "x"}).status_code == 404
    assert not FormalNoticeAnswer.objects.exists()
    assert StoredFile.objects.count() == files
