"""A new application after an ended one (R-APP-9, issue 21 §1).

DMN guide §5.2 (« Abandon de candidature »): « Le candidat, s'il souhaite à nouveau faire certifier
son dispositif médical numérique, devra alors déposer une nouvelle candidature » ; TLC guide §5.2
the same for « son système d'information de téléconsultation ». Not admissible, abandoned,
archived and refused applications no longer block a new one for the same product version; one
application per product version is open at a time; the new one starts from the ended one's form
and documents, copied; the pages link the two."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from guichet.applications import review
from guichet.applications.models import AdmissibilityDocument, Application
from guichet.applications.services import create_application, file_again
from guichet.applications.workflow import WORKFLOW
from guichet.common.errors import ApplicationError
from guichet.files.models import StoredFile
from guichet.files.services import verified_chunks
from guichet.files.uploads import files_root
from guichet.journal.models import JournalEntry
from tests.committee.committee_world import decide, finished, session_on, small_dmn
from tests.instruction.instruction_world import on
from tests.workflow import walk

pytestmark = pytest.mark.django_db


def _not_admissible(application, applicant, instructor):
    walk(application, "submitted", applicant=applicant, instructor=instructor)
    review.decide(
        by=instructor,
        application=application,
        decision="not_admissible",
        reasons="Le produit n'est pas un dispositif médical numérique.",
    )
    application.refresh_from_db()
    return application


def _content(stored) -> bytes:
    stream = verified_chunks(stored)
    try:
        return b"".join(stream)
    finally:
        stream.close()


def test_r_app_9_a_not_admissible_application_is_filed_again_from_its_form_and_copied_documents(
    applicant, instructor, dmn_application
):
    """« devra alors déposer une nouvelle candidature » (DMN and TLC guides §5.2): the new one
    starts from the ended one's answers and documents — as copies, never the same files."""
    ended = _not_admissible(dmn_application, applicant, instructor)
    assert ended.status == "not_admissible"
    old_documents = list(ended.documents.filter(withdrawn_at__isnull=True).select_related("file"))
    assert old_documents

    new = file_again(by=applicant, previous=ended)

    assert (new.status, new.previous, new.product_version) == ("draft", ended, "3.2")
    assert new.reference != ended.reference
    assert (new.referential_version, new.pathway) == (ended.referential_version, ended.pathway)
    assert new.form == ended.form and new.profiles == ended.profiles
    assert new.answers == ended.answers and new.submitted_at is None
    copies = list(new.documents.select_related("file").order_by("item", "id"))
    assert [d.item for d in copies] == sorted(d.item for d in old_documents)
    for copy in copies:
        original = next(d for d in old_documents if d.item == copy.item)
        assert copy.file_id != original.file_id and copy.file.path != original.file.path
        assert (copy.file.sha256, copy.file.size) == (original.file.sha256, original.file.size)
        assert _content(copy.file) == _content(original.file)
        assert (files_root() / copy.file.path).exists()
    # The ended one is untouched and stays readable with its history.
    ended.refresh_from_db()
    assert ended.status == "not_admissible"
    assert list(ended.documents.filter(withdrawn_at__isnull=True)) == old_documents
    assert ended.transitions.filter(name="declare_not_admissible").exists()
    # Journaled on both: the creation « à partir de la candidature n° … », and on the ended one.
    created = JournalEntry.objects.get(action="application.create", application_id=str(new.pk))
    assert created.after["detail"] == f"à partir de la candidature n° {ended.reference}"
    followed = JournalEntry.objects.get(action="application.filed_again")
    assert followed.application_id == str(ended.pk)
    assert followed.after["next"] == new.reference
    assert JournalEntry.objects.filter(
        action="application.document.copy", application_id=str(new.pk)
    ).count() == len(copies)

    # One new application per ended one: filing again twice from it is refused.
    with pytest.raises(ApplicationError) as twice:
        file_again(by=applicant, previous=ended)
    assert twice.value.extra["status"] == 409
    assert twice.value.message == (
        f"Une nouvelle candidature a déjà été déposée à partir de la candidature n° "
        f"{ended.reference} : la candidature n° {new.reference}."
    )
    # The new one is the open application of the product version: another is refused, named.
    with pytest.raises(ApplicationError) as open_one:
        create_application(
            by=applicant,
            product=ended.product,
            product_version="3.2",
            referential_version=ended.referential_version,
            pathway_code="nom_de_marque",
        )
    assert (
        f"la candidature n° {new.reference} (« Brouillon »)"
        in (open_one.value.extra["errors"]["product_version"])
    )
    assert Application.objects.count() == 2


def test_r_app_9_an_open_application_blocks_a_new_one_and_is_not_filed_again(
    applicant, dmn_application
):
    """At most one application per product version is open at a time (R-APP-1): an open one
    is neither duplicated nor « filed again »; the database holds the rule too."""
    with pytest.raises(ApplicationError) as refused:
        create_application(
            by=applicant,
            product=dmn_application.product,
            product_version="3.2",
            referential_version=dmn_application.referential_version,
            pathway_code="nom_de_marque",
        )
    assert refused.value.extra["errors"]["product_version"] == (
        "Une candidature existe déjà pour TéléSuivi 3.2 et le référentiel "
        f"{dmn_application.referential_version.label} : la candidature n° "
        f"{dmn_application.reference} (« Brouillon »). Une seule est ouverte à la fois ; une "
        "nouvelle candidature se dépose quand elle est close sans certificat."
    )
    with pytest.raises(ApplicationError) as not_ended:
        file_again(by=applicant, previous=dmn_application)
    assert not_ended.value.extra["status"] == 409
    assert "« Brouillon »" in not_ended.value.message
    assert "close sans certificat" in not_ended.value.message
    # The conditional constraint, below the service.
    twin = Application(
        reference="twin",
        organisation=dmn_application.organisation,
        product=dmn_application.product,
        product_version="3.2",
        referential_version=dmn_application.referential_version,
        pathway=dmn_application.pathway,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert Application.objects.count() == 1


def test_r_app_9_another_product_or_another_organisation_cannot_start_from_it(
    applicant, instructor, stranger, dmn_application, api
):
    """Only the applicant files again from its own ended application (R-ACT-1): another
    organisation reads it as unknown, on the page and in the API, and nothing is created."""
    from guichet.applications.services import save_product

    ended = _not_admissible(dmn_application, applicant, instructor)
    files_before = StoredFile.objects.count()
    # The page: 404 for the outsider.
    from django.test import Client

    client = Client()
    client.force_login(stranger)
    answer = client.post(f"/candidatures/{ended.pk}/nouvelle-candidature/", {"confirm": "on"})
    assert answer.status_code == 404
    # The API: its own product, the other's application → unknown.
    own = save_product(by=stranger, name="Autre produit")
    api.force_authenticate(stranger)
    refused = api.post(
        "/api/v1/applications/",
        {
            "product": own.pk,
            "product_version": "3.2",
            "referential": "DMN",
            "version": ended.referential_version.number,
            "pathway": "nom_de_marque",
            "from_application": ended.pk,
        },
        format="json",
    )
    assert refused.status_code == 400, refused.content
    assert "Candidature inconnue" in refused.json()["errors"]["from_application"][0]
    # The service too, and the applicant with another of its products.
    with pytest.raises(ApplicationError) as outsider:
        create_application(
            by=stranger,
            product=own,
            product_version="3.2",
            referential_version=ended.referential_version,
            pathway_code="nom_de_marque",
            previous=ended,
        )
    assert outsider.value.extra["status"] == 404
    other = save_product(by=applicant, name="Autre de Télésanté")
    with pytest.raises(ApplicationError) as other_product:
        create_application(
            by=applicant,
            product=other,
            product_version="3.2",
            referential_version=ended.referential_version,
            pathway_code="nom_de_marque",
            previous=ended,
        )
    assert other_product.value.extra["errors"]["from_application"] == (
        f"La candidature n° {ended.reference} porte sur un autre produit."
    )
    assert Application.objects.count() == 1 and StoredFile.objects.count() == files_before


def test_r_app_9_through_the_api_the_two_applications_name_each_other(
    applicant, instructor, dmn_application, api
):
    ended = _not_admissible(dmn_application, applicant, instructor)
    api.force_authenticate(applicant)
    created = api.post(
        "/api/v1/applications/",
        {
            "product": ended.product_id,
            "product_version": "3.2",
            "referential": "DMN",
            "version": ended.referential_version.number,
            "pathway": "nom_de_marque",
            "from_application": ended.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    new_id = created.json()["id"]
    new = api.get(f"/api/v1/applications/{new_id}/").json()
    assert new["previous"] == {
        "id": ended.pk,
        "reference": ended.reference,
        "status": "not_admissible",
    }
    assert new["next_application"] is None and new["form"] == ended.form
    old = api.get(f"/api/v1/applications/{ended.pk}/").json()
    assert old["next_application"]["id"] == new_id and old["status"] == "not_admissible"


def test_r_app_9_the_pages_offer_it_with_a_confirmation_and_link_the_two(
    client, applicant, instructor, dmn_application
):
    """The ended application's page says what comes next: « Déposer une nouvelle candidature »
    (the applicant only, confirmed); then each page links the other."""
    ended = _not_admissible(dmn_application, applicant, instructor)
    client.force_login(instructor)
    assert "Déposer une nouvelle candidature" not in client.get(f"/candidatures/{ended.pk}/").text
    client.force_login(applicant)
    page = client.get(f"/candidatures/{ended.pk}/").text
    assert "Déposer une nouvelle candidature" in page and "Je confirme." in page
    url = f"/candidatures/{ended.pk}/nouvelle-candidature/"
    unconfirmed = client.post(url, follow=True)
    assert "cochez la case pour confirmer" in unconfirmed.text
    assert Application.objects.count() == 1
    answer = client.post(url, {"confirm": "on"}, follow=True)
    new = Application.objects.get(previous=ended)
    assert answer.redirect_chain[-1][0] == f"/candidatures/{new.pk}/"
    documents = new.documents.count()
    assert (
        f"Nouvelle candidature {new.reference} créée à partir de la candidature "
        f"{ended.reference} : le formulaire et {documents} documents sont repris."
    ) in answer.text
    assert "Candidature précédente" in answer.text and ended.reference in answer.text
    old_page = client.get(f"/candidatures/{ended.pk}/").text
    assert "Nouvelle candidature déposée" in old_page and new.reference in old_page
    assert "Déposer une nouvelle candidature" not in old_page  # one new application each


def test_r_app_9_a_document_altered_in_storage_is_not_copied(
    applicant, instructor, dmn_application
):
    """A copy is of what was deposited (R-EVD-2): an altered original refuses the new
    application, and nothing of it is left behind."""
    ended = _not_admissible(dmn_application, applicant, instructor)
    document = ended.documents.select_related("file").first()
    (files_root() / document.file.path).write_bytes(b"%PDF-1.4 altered" + b"x" * 60)
    stored_before = set(StoredFile.objects.values_list("path", flat=True))
    on_disk_before = {p for p in files_root().rglob("*") if p.is_file()}
    with pytest.raises(ApplicationError) as refused:
        file_again(by=applicant, previous=ended)
    assert refused.value.extra["status"] == 409
    assert f"« {document.file.original_name} »" in refused.value.message
    assert Application.objects.count() == 1
    assert set(StoredFile.objects.values_list("path", flat=True)) == stored_before
    assert {p for p in files_root().rglob("*") if p.is_file()} == on_disk_before


def test_r_app_9_an_encrypted_file_is_copied_under_a_key_of_its_own(applicant):
    import io

    from guichet.files.services import commit, copy_file
    from guichet.files.uploads import upload_from_stream
    from tests.fixtures import PDF

    with transaction.atomic():
        original = commit(upload_from_stream(io.BytesIO(PDF), "a.pdf", encrypt=True), by=applicant)
        copy = copy_file(original, by=applicant)
    assert copy.encrypted and copy.wrapped_key != original.wrapped_key
    assert copy.path != original.path and copy.sha256 == original.sha256
    assert (files_root() / copy.path).read_bytes() != (files_root() / original.path).read_bytes()
    assert _content(copy) == PDF


@pytest.fixture
def dmn_small(catalogue):
    return small_dmn()


def test_r_app_9_refused_by_the_college_then_filed_again(
    dmn_small, applicant, instructor, committee_member
):
    """After a refusal of the collège the applicant files the product version again; the
    refused application stays readable, and an appeal cannot certify it while the new one is
    open (one open application per product version)."""
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Dr Claire Dupont", "body": "cnda"}],
        )
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        decide(
            session,
            application,
            by=committee_member,
            outcome="refused",
            reasons="L'exigence S2 1 n'est pas satisfaite.",
        )
    assert application.status == "refused"
    before = WORKFLOW.refusal(application, WORKFLOW.get("grant"), committee_member)
    assert before is None  # an appeal could still certify it, until a new one is filed
    with on(dt.date(2027, 3, 10)):
        new = file_again(by=applicant, previous=application)
    assert (new.status, new.previous_id) == ("draft", application.pk)
    assert AdmissibilityDocument.objects.filter(application=new).count() == (
        application.documents.filter(withdrawn_at__isnull=True).count()
    )
    application.refresh_from_db()
    assert application.status == "refused" and application.decisions.count() == 1
    why = WORKFLOW.refusal(application, WORKFLOW.get("grant"), committee_member)
    assert why.extra["status"] == 409
    assert why.message.startswith(f"La candidature n° {new.reference}, déposée de nouveau")
