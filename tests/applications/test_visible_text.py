"""What people read on the pages of an application, from the draft to the complete dossier, for
the applicant and for the instructor (issue 19): no internal code (`gdpr_declaration`,
`ri_insi_cv`, `hds_tiers`…) where a label belongs, no « (s) » where Django pluralises, and the
agency's own notes on the agency's side only."""

from __future__ import annotations

import io
import re
import subprocess
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse

from guichet.applications import review
from guichet.applications.selectors import documents_payload
from guichet.applications.services import add_document, create_application, save_draft, submit
from guichet.files.uploads import upload_from_stream
from tests.conftest import PASSWORD, committed
from tests.fixtures import PDF, TLC_PROFILES, complete_dmn_form, complete_tlc_form
from tests.workflow import deposit_every_proof

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
# « candidature(s) », « déposé(e) », « change(nt) »: Django pluralises instead.
BRACKETED_PLURAL = re.compile(r"\w\((?:s|e|es|x|nt)\)")


class _VisibleText(HTMLParser):
    """The text of a page as a reader gets it: no script, no style, no attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text, its pieces separated by one space (« <strong>HDS</strong>. » reads
    « HDS . »)."""
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_visible_text_ignores_attributes_scripts_and_styles():
    page = (
        '<p class="fr-badge" data-item="gdpr_declaration">Déclaration RGPD</p>'
        "<script>const hds_tiers = 1;</script><style>.a_b{}</style>"
    )
    assert visible_text(page) == "Déclaration RGPD"
    assert SNAKE_CASE.findall(visible_text("<p>gdpr_declaration — à redéposer</p>")) == [
        "gdpr_declaration"
    ]


def read(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return visible_text(response.content.decode())


def assert_reads_right(client, user, urls, *, must_not=()):
    client.force_login(user)
    for url in urls:
        text = read(client, url)
        assert not SNAKE_CASE.findall(text), (url, user.email, SNAKE_CASE.findall(text))
        assert not BRACKETED_PLURAL.findall(text), (url, BRACKETED_PLURAL.findall(text))
        for words in must_not:
            assert words not in text, (url, user.email, words)


def deposit(application, by):
    """A file for every document the form requires, each named as a person names a file."""
    application.refresh_from_db()
    for position, document in enumerate(documents_payload(application), start=1):
        if document["required"] and not document["files"]:
            upload = upload_from_stream(io.BytesIO(PDF), f"Document {position}.pdf")
            add_document(by=by, application=application, item=document["item"], upload=upload)


def pdf_text(client, url, folder) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    path = folder / "document.pdf"
    path.write_bytes(b"".join(response.streaming_content))
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def pages(application, *, agency: bool) -> list[str]:
    urls = [
        reverse("applications:list"),
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:form", args=[application.pk]),
        reverse("evidence:page", args=[application.pk]),
    ]
    if agency:
        urls += [reverse("applications:review", args=[application.pk]), reverse("work")]
    return urls


def check_both_sides(client, application, applicant, instructor):
    assert_reads_right(client, applicant, pages(application, agency=False))
    assert_reads_right(client, instructor, pages(application, agency=True))


def test_no_internal_code_on_the_pages_of_a_dmn_application_from_draft_to_complete(
    client, applicant, instructor, product, dmn, tmp_path
):
    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    check_both_sides(client, application, applicant, instructor)  # an empty draft
    save_draft(
        by=applicant,
        application=application,
        data={
            "form": complete_dmn_form(patient_access=True),  # one fact (R-REF-8)
            "answers": {
                "professional_access": True,
                "patient_access": True,
                "creates_identities": True,
            },
            "profiles": ["general", "acces_professionnel", "acces_usager"],
        },
    )
    check_both_sides(client, application, applicant, instructor)  # missing items, violations
    save_draft(
        by=applicant,
        application=application,
        data={
            "form": {"cnda_nie": "NIE-1", "cnda_nil": "NIL-1"},
            "profiles": [
                "general",
                "acces_professionnel",
                "acces_usager",
                "referentiel_identite",
                "ri_etablissement_sante",
            ],
        },
    )
    deposit(application, applicant)
    with committed():  # the emails, once committed
        submit(by=applicant, application=application)
    check_both_sides(client, application, applicant, instructor)  # submitted

    # To fix: a document « à redéposer » and a field.
    review.set_verdicts(
        by=instructor,
        application=application,
        opinions={
            "documents.gdpr_declaration": ("to_fix", "Déclaration non signée."),
            "contact_phone": ("to_fix", "Ce numéro ne répond pas."),
        },
    )
    with committed():
        review.decide(by=instructor, application=application, decision="request_fixes")
    check_both_sides(client, application, applicant, instructor)
    client.force_login(applicant)
    detail = read(client, reverse("applications:detail", args=[application.pk]))
    assert "Déclaration de conformité au RGPD — à redéposer : Déclaration non signée." in detail

    # Round 2: corrected, then reviewed again.
    save_draft(
        by=applicant, application=application, data={"form": {"contact_phone": "01 99 88 77 66"}}
    )
    add_document(
        by=applicant,
        application=application,
        item="gdpr_declaration",
        upload=upload_from_stream(io.BytesIO(PDF), "RGPD signée.pdf"),
    )
    with committed():
        submit(by=applicant, application=application)
    check_both_sides(client, application, applicant, instructor)
    application.refresh_from_db()
    review.set_verdicts(
        by=instructor,
        application=application,
        opinions=review.with_remaining_conforme(application, {}),
    )
    with committed():  # the task worker prepares the convention
        review.decide(by=instructor, application=application, decision="admissible")
    check_both_sides(client, application, applicant, instructor)  # admissible, to sign

    from guichet.conventions.services import sign_convention

    with committed():  # the task worker seals it
        sign_convention(by=applicant, application=application, password=PASSWORD)
    check_both_sides(client, application, applicant, instructor)  # evidence open
    with committed():  # the acknowledgment, by the task worker
        deposit_every_proof(application, applicant)
    check_both_sides(client, application, applicant, instructor)  # complete

    # So do the documents it issued: the signed convention, the acknowledgment of receipt.
    application.refresh_from_db()
    client.force_login(applicant)
    for url in (
        reverse("conventions:pdf", args=[application.pk]),
        reverse("applications:file", args=[application.pk, application.acknowledgment_id]),
    ):
        text = pdf_text(client, url, tmp_path)
        assert "Candidature" in text or "Convention" in text
        assert not SNAKE_CASE.findall(text), (url, SNAKE_CASE.findall(text))
        assert not BRACKETED_PLURAL.findall(text), (url, BRACKETED_PLURAL.findall(text))

    # What the platform wrote to both sides on the way reads as the pages do.
    assert len(mail.outbox) > 5
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert not SNAKE_CASE.findall(text), (message.subject, SNAKE_CASE.findall(text))
        assert not BRACKETED_PLURAL.findall(text), (message.subject, text)


def test_r_ref_5_the_tlc_form_names_profiles_by_label_and_keeps_the_agency_notes_for_the_agency(
    client, applicant, instructor, product, tlc
):
    """« Profils obligatoires selon vos réponses » in the guide's words; the guide's ambiguity
    (« à vérifier par l'agence ») is a note for the agency: the applicant never reads it, the
    agency reads it on the application and on the admissibility review."""
    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )
    save_draft(
        by=applicant,
        application=application,
        data={
            "form": complete_tlc_form(teleconsultation_company=True),  # one fact (R-REF-8)
            "answers": {"deployment": "societe_teleconsultation", "hds_host": "tiers_certifie"},
            "extra_profiles": [],
        },
    )
    note = "à vérifier par l'agence"
    assert_reads_right(client, applicant, pages(application, agency=False), must_not=[note])
    client.force_login(applicant)
    form = read(client, reverse("applications:form", args=[application.pk]))
    assert (
        "Profils obligatoires selon vos réponses : Général, Référentiel d'identité, "
        "Hébergement des données de santé par un tiers certifié HDS ." in form
    )
    client.force_login(instructor)
    assert note in read(client, reverse("applications:detail", args=[application.pk]))

    save_draft(by=applicant, application=application, data={"profiles": TLC_PROFILES})
    deposit(application, applicant)
    submit(by=applicant, application=application)
    assert_reads_right(client, applicant, pages(application, agency=False), must_not=[note])
    assert_reads_right(client, instructor, pages(application, agency=True))
    client.force_login(instructor)
    assert note in read(client, reverse("applications:review", args=[application.pk]))

    review.set_verdicts(
        by=instructor,
        application=application,
        opinions=review.with_remaining_conforme(application, {}),
    )
    review.decide(by=instructor, application=application, decision="admissible")
    check_both_sides(client, application, applicant, instructor)  # evidence open (TLC)


def test_api_refusals_name_items_by_their_labels(api, applicant, instructor, product, dmn):
    """The `detail` of a refusal is read by people too: no code in it."""
    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    api.force_authenticate(applicant)
    refused = api.post(f"/api/v1/applications/{application.pk}/submit").json()
    assert refused["missing"] and not SNAKE_CASE.findall(refused["detail"])
    assert not [m for m in refused["missing"] if SNAKE_CASE.findall(m["label"] + m["detail"])]
    save_draft(
        by=applicant,
        application=application,
        data={"form": complete_dmn_form(), "profiles": ["general"]},
    )
    deposit(application, applicant)
    submit(by=applicant, application=application)
    api.force_authenticate(instructor)
    base = f"/api/v1/applications/{application.pk}/admissibility"
    for response in (
        api.post(f"{base}/decision", {"decision": "peut-être"}, format="json"),
        api.post(f"{base}/contact_name/verdict", {"verdict": "bof"}, format="json"),
        api.post(f"{base}/decision", {"decision": "recevable"}, format="json"),
    ):
        assert response.status_code in (400, 409)
        assert not SNAKE_CASE.findall(response.json()["detail"]), response.json()["detail"]
