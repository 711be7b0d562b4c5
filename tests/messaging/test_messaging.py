"""The message thread of an application and the notifications (R-MSG-1): who writes and who
reads, internal notes the applicant never meets, read marks and unread counts, emails sent by
the task worker (text and HTML) to the contact référent and to whoever opted in, legal notices
whatever the choices, files type-checked and served only to who may."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.accounts.models import Role
from guichet.applications.services import create_application, save_product
from guichet.files.models import StoredFile
from guichet.files.uploads import upload_from_stream
from guichet.instruction import requests
from guichet.journal.models import JournalEntry
from guichet.messaging import selectors, services
from guichet.messaging.models import EmailPreference, Message, Notification, ThreadRead
from tests.conftest import committed, make_staff
from tests.fixtures import PDF
from tests.instruction.instruction_world import in_instruction, small_version

pytestmark = pytest.mark.django_db

CONTACT = "camille@telesante.fr"  # the contact référent of complete_dmn_form()
EXE = b"MZ\x90\x00" + b"\x00" * 200  # a Windows program, whatever its name says


@pytest.fixture
def instructed(applicant, instructor, catalogue):
    """A DMN dossier in instruction, `instructor` its lead (a small referential version)."""
    with committed():
        return in_instruction(small_version("DMN"), applicant=applicant, instructor=instructor)


@pytest.fixture
def colleague(db):
    return make_staff("collegue@agence.test", Role.INSTRUCTOR)


def pdf(name="piece.pdf", content=PDF):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def thread_url(application) -> str:
    return reverse("messaging:thread", args=[application.pk])


def api_url(application, suffix="") -> str:
    return f"/api/v1/applications/{application.pk}/messages/{suffix}"


def write(user, application, body, *, internal=False, files=()):
    """A message posted the way the services do it, its emails sent as after a commit."""
    with committed():
        return services.post_message(
            by=user,
            application=application,
            body=body,
            internal=internal,
            uploads=[upload_from_stream(io.BytesIO(content), name) for name, content in files],
        )


# --- emails of a message -----------------------------------------------------------------------


def test_r_msg_1_an_agency_message_emails_the_contact_referent_through_the_task_worker(
    client, instructor, instructed, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    client.force_login(instructor)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = client.post(
            thread_url(instructed),
            {"body": "Pouvez-vous préciser l'hébergeur ?", "file": pdf("courrier.pdf")},
        )
        # The request answers without sending anything: the worker does, after the commit.
        assert response.status_code == 302 and mail.outbox == []
    for callback in pending:
        callback()
    (sent,) = mail.outbox
    assert sent.subject == f"Guichet — {instructed.reference} — nouveau message de l'agence"
    assert CONTACT in sent.to and "resp@telesante.fr" in sent.to
    assert instructor.email not in sent.to
    assert "Pouvez-vous préciser l'hébergeur ?" in sent.body
    assert "Pièces jointes : courrier.pdf." in sent.body
    assert f"/candidatures/{instructed.pk}/messages/" in sent.body
    ((html, mimetype),) = sent.alternatives
    assert mimetype == "text/html"
    assert "Pouvez-vous préciser l&#x27;hébergeur ?" in html and "Ouvrir la messagerie" in html
    # Every member of the organisation sees it in the platform.
    assert Notification.objects.filter(
        user__email="resp@telesante.fr", kind="message", application=instructed
    ).exists()


def test_r_msg_1_an_applicant_message_notifies_the_assigned_instructors(
    applicant, instructor, colleague, instructed
):
    mail.outbox.clear()
    write(applicant, instructed, "Le rapport d'audit est joint.", files=[("audit.pdf", PDF)])
    (sent,) = mail.outbox
    assert sent.to == [instructor.email]  # the lead, not an instructor of other dossiers
    assert sent.subject.endswith("nouveau message du candidat")
    assert "Le rapport d'audit est joint." in sent.body and "Télésanté" in sent.body
    told = Notification.objects.filter(kind="message").values_list("user__email", flat=True)
    assert list(told) == [instructor.email]
    assert selectors.unread_counts(instructor)["messages"] == 1
    assert selectors.unread_counts(colleague)["messages"] == 0  # not his dossier
    assert selectors.unread_counts(applicant)["messages"] == 0  # his own message


# --- internal notes --------------------------------------------------------------------------------


def test_r_msg_1_an_internal_note_is_never_shown_to_the_applicant(
    client, api, applicant, member, instructor, colleague, instructed
):
    instructed.instructors.add(colleague)
    write(applicant, instructed, "Question du candidat.")
    mail.outbox.clear()
    note = write(
        instructor,
        instructed,
        "Note : l'hébergeur n'est pas certifié HDS.",
        internal=True,
        files=[("analyse.pdf", PDF)],
    )
    secret = "pas certifié HDS"
    note_file = note.files.get().file_id
    # Emails: the other instructors only, never the applicant's side nor the author.
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert secret in mail.outbox[0].body
    assert not Notification.objects.filter(
        user__organisation=instructed.organisation, title__contains="note interne"
    ).exists()
    for person in (applicant, member):
        client.force_login(person)
        for url in (reverse("applications:detail", args=[instructed.pk]), thread_url(instructed)):
            page = client.get(url).content.decode()
            assert secret not in page and "note interne" not in page
        assert client.get(reverse("messaging:inbox")).status_code == 200
        file_url = reverse("applications:file", args=[instructed.pk, note_file])
        assert client.get(file_url).status_code == 404
        api.force_authenticate(person)
        listed = api.get(api_url(instructed)).json()
        assert [m["body"] for m in listed["results"]] == ["Question du candidat."]
        assert api.post(api_url(instructed, f"{note.pk}/read")).status_code == 404
        assert selectors.unread_counts(person)["messages"] == 0
    # The applicant may not write one either.
    api.force_authenticate(applicant)
    refused = api.post(api_url(instructed), {"body": "Note ?", "internal": True}, format="json")
    assert refused.status_code == 403 and "réservées aux agents" in refused.json()["detail"]
    assert Message.objects.filter(internal=True).count() == 1
    # The application's journal, which its applicant reads, says nothing of the note.
    assert not JournalEntry.objects.filter(
        application_id=str(instructed.pk), action="messaging.note"
    ).exists()
    # The agency sees it inline, marked as such, and its file.
    client.force_login(colleague)
    page = client.get(thread_url(instructed)).content.decode()
    assert secret in page and "note interne" in page
    file_url = reverse("applications:file", args=[instructed.pk, note_file])
    download = client.get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    api.force_authenticate(colleague)
    listed = api.get(api_url(instructed)).json()["results"]
    assert [m["internal"] for m in listed] == [False, True]


# --- read marks and counts ---------------------------------------------------------------------


def test_r_msg_1_reading_the_thread_marks_it_read_per_person(
    client, api, applicant, member, instructor, instructed
):
    first = write(instructor, instructed, "Premier message.")
    write(instructor, instructed, "Second message.")
    assert selectors.unread_counts(applicant)["messages"] == 2
    assert selectors.unread_counts(member)["messages"] == 2
    client.force_login(applicant)
    home = client.get(reverse("home")).content.decode()
    assert '2<span class="fr-sr-only"> non lus</span>' in home
    page = client.get(thread_url(instructed)).content.decode()
    assert page.count(">nouveau</span>") == 2  # marked on this visit…
    assert selectors.unread_counts(applicant)["messages"] == 0  # …read from now on
    assert "nouveau</span>" not in client.get(thread_url(instructed)).content.decode()
    assert selectors.unread_counts(member)["messages"] == 2  # each person his own mark
    api.force_authenticate(member)
    answer = api.post(api_url(instructed, f"{first.pk}/read"))
    assert answer.json() == {"last_read_id": first.pk, "unread": 1}
    # The mark never moves back.
    ThreadRead.objects.filter(user=member).update(last_read_id=first.pk + 1000)
    api.post(api_url(instructed, f"{first.pk}/read"))
    assert ThreadRead.objects.get(user=member).last_read_id == first.pk + 1000


def test_r_msg_1_the_navigation_count_is_one_query_whatever_the_number_of_applications(
    client, applicant, instructor, dmn
):
    def application_with_messages(n):
        product = save_product(
            by=applicant, name=f"Produit {n}", modules=[{"name": "Web", "version": "1"}]
        )
        application = create_application(
            by=applicant,
            product=product,
            product_version="1",
            referential_version=dmn,
            pathway_code="nom_de_marque",
        )
        write(instructor, application, f"Message {n}.")
        write(instructor, application, f"Note {n}.", internal=True)

    client.force_login(applicant)
    counts = []
    for size in (1, 4):
        while Message.objects.filter(internal=False).count() < size:
            application_with_messages(Message.objects.count())
        with CaptureQueriesContext(connection) as captured:
            assert selectors.unread_counts(applicant) == {"messages": size, "notifications": size}
        assert len(captured) == 1
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("messaging:inbox")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- email choices -----------------------------------------------------------------------------


def test_r_msg_1_who_opted_out_of_messages_gets_no_email_but_the_notification(
    client, applicant, member, instructor, instructed
):
    client.force_login(applicant)
    page = client.get(reverse("messaging:preferences")).content.decode()
    assert "Nouveau message de l&#x27;agence" in page and "toujours envoyée" in page
    response = client.post(
        reverse("messaging:preferences"), {"kinds": ["verdicts", "decision"]}, follow=True
    )
    assert "Vos choix sont enregistrés" in response.content.decode()
    assert EmailPreference.objects.get(user=applicant, kind="message").email is False
    other = member.__class__.objects.create_user(
        email="veille@telesante.fr",
        password="x",
        role=Role.APPLICANT_MEMBER,
        organisation=applicant.organisation,
    )
    services.set_email_choices(by=other, chosen={"message"})  # a member who opts in
    mail.outbox.clear()
    write(instructor, instructed, "Votre dossier avance.")
    (sent,) = mail.outbox
    # The contact référent (no account) and the member who opted in; not the Responsable who
    # opted out, nor the member who chose nothing.
    assert sent.to == [CONTACT, other.email]
    assert set(
        Notification.objects.filter(kind="message").values_list("user__email", flat=True)
    ) == {applicant.email, member.email, other.email}
    assert "selon vos choix" in sent.body


def test_r_msg_1_a_legal_notice_is_emailed_even_to_who_opted_out(
    client, applicant, instructor, instructed
):
    # Nothing by email: the legal notices stay.
    emailed = services.set_email_choices(by=applicant, chosen=set())
    assert emailed == [
        "acknowledgment",
        "certificate",
        "decision",
        "information_request",
        "missing_items",
    ]
    mail.outbox.clear()
    with committed():
        requests.request_information(
            by=instructor, application=instructed, text="Précisez la version du module web."
        )
    (sent,) = [m for m in mail.outbox if "demande d'information n° 1" in m.subject]
    assert applicant.email in sent.to and CONTACT in sent.to
    assert "Notification légale" in sent.body
    assert Notification.objects.filter(user=applicant, kind="information_request").exists()
    # A plain message, not legal: the Responsable who opted out gets none.
    mail.outbox.clear()
    write(instructor, instructed, "Merci.")
    assert [m.to for m in mail.outbox] == [[CONTACT]]


def test_r_msg_1_missing_items_are_a_legal_notice(applicant, instructor, instructed):
    services.set_email_choices(by=applicant, chosen=set())
    settings = instructed.referential_version.process_settings
    due = None if settings.missing_items_fixed else timezone.localdate() + dt.timedelta(days=30)
    mail.outbox.clear()
    with committed():
        requests.request_missing_items(
            by=instructor, application=instructed, items="Contrat d'hébergement", due=due
        )
    (sent,) = [m for m in mail.outbox if "pièces manquantes" in m.subject]
    assert applicant.email in sent.to and "Notification légale" in sent.body
    assert Notification.objects.filter(user=applicant, kind="missing_items").exists()


# --- isolation and files ---------------------------------------------------------------------------


def test_r_msg_1_another_organisation_gets_404_on_every_thread_url(
    client, api, stranger, applicant, instructor, instructed
):
    message = write(instructor, instructed, "Bonjour.", files=[("a.pdf", PDF)])
    file_id = message.files.get().file_id
    before = (Message.objects.count(), ThreadRead.objects.count(), StoredFile.objects.count())
    client.force_login(stranger)
    assert client.get(thread_url(instructed)).status_code == 404
    assert client.post(thread_url(instructed), {"body": "Intrus", "file": pdf()}).status_code == 404
    file_url = reverse("applications:file", args=[instructed.pk, file_id])
    assert client.get(file_url).status_code == 404
    api.force_authenticate(stranger)
    assert api.get(api_url(instructed)).status_code == 404
    assert api.post(api_url(instructed), {"body": "Intrus"}, format="json").status_code == 404
    multipart = api.post(api_url(instructed), {"body": "Intrus", "file": pdf()}, format="multipart")
    assert multipart.status_code == 404
    assert api.post(api_url(instructed, f"{message.pk}/read")).status_code == 404
    assert (Message.objects.count(), ThreadRead.objects.count(), StoredFile.objects.count()) == (
        before
    )
    assert "Bonjour." not in client.get(reverse("messaging:inbox")).content.decode()


def test_r_msg_1_files_of_messages_are_type_checked_and_kept_all_or_none(
    client, api, applicant, member, instructor, instructed
):
    client.force_login(applicant)
    before = (Message.objects.count(), StoredFile.objects.count())
    response = client.post(
        thread_url(instructed),
        {"body": "Voici les pièces.", "file": [pdf("bon.pdf"), pdf("faux.pdf", EXE)]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Rien n&#x27;a été envoyé" in page and "Voici les pièces." in page  # text kept
    assert (Message.objects.count(), StoredFile.objects.count()) == before
    # Through the API, one multipart request: the text, the flag and the files.
    api.force_authenticate(applicant)
    created = api.post(
        api_url(instructed),
        {"body": "Voici les pièces.", "internal": "false", "file": [pdf("bon.pdf")]},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    (described,) = created.json()["files"]
    assert described["name"] == "bon.pdf" and described["content_type"] == "application/pdf"
    refused = api.post(
        api_url(instructed), {"body": "Encore", "file": [pdf("x.pdf", EXE)]}, format="multipart"
    )
    assert refused.status_code == 415 and refused["Content-Type"] == "application/problem+json"
    assert Message.objects.filter(body="Encore").count() == 0
    # Served to the organisation and the agency, verified against their deposit.
    for person in (member, instructor):
        client.force_login(person)
        download = client.get(described["url"])
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_r_msg_1_an_empty_message_is_refused_with_what_to_do(api, applicant, instructed):
    api.force_authenticate(applicant)
    response = api.post(api_url(instructed), {"body": "   "}, format="json")
    assert response.status_code == 400
    assert "le texte est vide" in response.json()["detail"]
    assert not Message.objects.exists()


# --- notifications -----------------------------------------------------------------------------


def test_r_msg_1_notifications_page_lists_newest_first_and_marks_all_read(
    client, api, applicant, instructor, instructed
):
    write(instructor, instructed, "Premier.")
    write(instructor, instructed, "Second.")
    client.force_login(applicant)
    page = client.get(reverse("messaging:notifications")).content.decode()
    assert page.index("Second.") < page.index("Premier.")
    assert page.count(">non lue</span>") >= 2
    assert "Notifications (" in page  # the count in the header
    api.force_authenticate(applicant)
    unread = api.get("/api/v1/notifications/?unread=1").json()
    assert unread["count"] == Notification.objects.filter(user=applicant).count() >= 2
    assert api.get("/api/v1/notifications/?unread=peut-etre").status_code == 400
    # Following one marks it read and leads to the thread.
    latest = Notification.objects.filter(user=applicant).first()
    opened = client.get(reverse("messaging:notification-open", args=[latest.pk]))
    assert opened.status_code == 302 and opened.url == thread_url(instructed)
    latest.refresh_from_db()
    assert latest.read_at is not None
    response = client.post(reverse("messaging:notifications-read"), follow=True)
    assert "marquées comme lues" in response.content.decode()
    assert selectors.unread_counts(applicant)["notifications"] == 0
    assert api.get("/api/v1/notifications/?unread=1").json()["count"] == 0
    assert api.post("/api/v1/notifications/read").json() == {"marked": 0}
    # Another person's notification does not exist for him.
    other = Notification.objects.create(user=instructor, kind="work", title="x")
    assert client.get(reverse("messaging:notification-open", args=[other.pk])).status_code == 404


def test_r_msg_1_the_thread_panel_and_page_show_newest_at_the_bottom(
    client, applicant, instructor, instructed
):
    write(instructor, instructed, "Premier.")
    write(applicant, instructed, "Réponse.")
    client.force_login(instructor)
    detail = client.get(reverse("applications:detail", args=[instructed.pk])).content.decode()
    assert 'id="messages"' in detail and "1 non lu" in detail
    page = client.get(thread_url(instructed)).content.decode()
    assert page.index("Premier.") < page.index("Réponse.")


def test_r_msg_1_a_batch_of_verdicts_emails_what_the_applicant_sees_of_it(
    applicant, instructor, instructed
):
    from guichet.instruction.verdicts import set_proof_verdicts

    first, second, third = list(requests.applicable_proofs(instructed))
    mail.outbox.clear()
    with committed():
        set_proof_verdicts(instructed, by=instructor, opinions={first: ("conforme", "")})
    assert mail.outbox == []  # a « conforme » may still change: nothing to tell yet
    with committed():
        set_proof_verdicts(
            instructed,
            by=instructor,
            opinions={
                second: ("non_conforme", "La capture est illisible."),
                third: ("conforme", ""),
            },
        )
    (sent,) = mail.outbox
    assert sent.subject.endswith("avis sur les preuves") and CONTACT in sent.to
    assert (
        "La capture est illisible." in sent.body and "1 preuve qui n'est pas conforme" in sent.body
    )
    assert Notification.objects.filter(user=applicant, kind="verdicts").count() == 1


@pytest.mark.parametrize("page", ["thread", "notifications", "detail"])
def test_r_msg_1_thread_and_notification_pages_read_a_constant_number_of_queries(
    client, applicant, instructor, instructed, page
):
    url = {
        "thread": thread_url(instructed),
        "notifications": reverse("messaging:notifications"),
        "detail": reverse("applications:detail", args=[instructed.pk]),
    }[page]
    client.force_login(applicant)
    counts = []
    for size in (2, 6):
        while Message.objects.count() < size:
            write(instructor, instructed, "Message.", files=[("piece.pdf", PDF)])
            write(applicant, instructed, "Réponse.")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
