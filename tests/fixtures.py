import pytest

from tests.factories import OrganisationFactory, UserFactory

# Answers and profiles that satisfy the DMN rules (guide's example 1) and TLC's table.
DMN_ANSWERS = {"professional_access": False, "patient_access": False, "creates_identities": False}
DMN_PROFILES = ["general"]


def complete_dmn_form(**overrides):
    form = {
        "legal_rep_name": "Dominique Durand",
        "legal_rep_email": "dominique@telesante.fr",
        "legal_rep_phone": "+33 6 12 34 56 78",
        "contact_name": "Camille Martin",
        "contact_email": "camille@telesante.fr",
        "contact_phone": "01 23 45 67 89",
        "entity_name": "Télésanté SAS",
        "entity_id": "732 829 320",
        "patient_access": False,
        "reimbursement_list": "LATM",
        "device_class": "IIa",
        "host_is_applicant": False,
        "host_name": "Hébergeur HDS",
        "planned_complete_date": "2027-03-01",
        "publish_planned_date": True,
    }
    form.update(overrides)
    return form


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Télésanté", siren="732829320")


@pytest.fixture
def applicant(organisation):
    """The Responsable habilité of organisation A."""
    return UserFactory(email="resp@telesante.fr", organisation=organisation)


@pytest.fixture
def people(applicant, instructor, committee_member):
    """Who takes a dossier to its certificate: the applicant, the instructor, the collège."""
    return {"applicant": applicant, "instructor": instructor, "committee_member": committee_member}


@pytest.fixture
def member(organisation):
    """A member of organisation A (not its Responsable habilité)."""
    return UserFactory(email="membre@telesante.fr", organisation=organisation, member=True)


@pytest.fixture
def stranger(db):
    """The outsider: the Responsable habilité of another organisation."""
    return UserFactory(
        email="x@autre.fr", organisation=OrganisationFactory(name="Autre", siren="552100554")
    )


@pytest.fixture
def product(applicant):
    from guichet.applications.services import save_product

    return save_product(
        by=applicant,
        name="TéléSuivi",
        modules=[
            {"name": "Portail web", "version": "3.2"},
            {"name": "App iOS", "version": "3.2.1"},
        ],
    )


@pytest.fixture
def dmn_application(applicant, product, dmn):
    from guichet.applications.services import create_application

    return create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def deposit_required_documents(application, by):
    """Deposits a small PDF for every document the form currently requires."""
    import io

    from django.db import transaction

    from guichet.applications.selectors import documents_payload
    from guichet.applications.services import add_document
    from guichet.files.uploads import upload_from_stream

    application.refresh_from_db()
    with transaction.atomic():
        for document in documents_payload(application):
            if document["required"]:
                upload = upload_from_stream(io.BytesIO(PDF), f"{document['item']}.pdf")
                add_document(by=by, application=application, item=document["item"], upload=upload)


@pytest.fixture
def dmn_admissible(applicant, dmn_application, instructor):
    """Recevable, its convention ready to sign (the task worker prepared it): general profile."""
    from tests.workflow import walk

    return walk(dmn_application, "admissible", applicant=applicant, instructor=instructor)


@pytest.fixture
def tlc_admissible(applicant, product, tlc, instructor):
    """Recevable, evidence open (TLC sends its convention later)."""
    from guichet.applications.services import create_application
    from tests.workflow import walk

    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )
    return walk(application, "admissible", applicant=applicant, instructor=instructor)


TLC_PROFILES = ["general", "referentiel_identite", "hds_tiers"]


def complete_tlc_form(**overrides):
    form = {
        key: value
        for key, value in complete_dmn_form().items()
        if key.startswith(("legal_rep_", "contact_", "entity_", "planned_", "publish_"))
    }
    form.update(
        {
            "entity_id": "732 829 320 00017",
            "teleconsultation_company": False,
            "all_proofs_available": True,
            "cnda_nie": "NIE-0001",
            "cnda_nil": "NIL-0001",
        }
    )
    form.update(overrides)
    return form


def admit(application, *, applicant, instructor, form, profiles):
    """The way users get there (R-APP-7, R-APP-8): the applicant completes and submits, the
    instructor finds every item conforme and declares the application admissible."""
    from guichet.applications import review
    from guichet.applications.services import save_draft, submit

    save_draft(by=applicant, application=application, data={"form": form, "profiles": profiles})
    deposit_required_documents(application, applicant)
    submit(by=applicant, application=application)
    application.refresh_from_db()
    review.set_verdicts(
        by=instructor,
        application=application,
        opinions={
            entry["item"]: ("conforme", "") for entry in review.reviewable_items(application)
        },
    )
    review.decide(by=instructor, application=application, decision="admissible")
    application.refresh_from_db()
    return application
