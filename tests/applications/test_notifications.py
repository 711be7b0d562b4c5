"""Who the agency writes to about an application (R-APP-3, DMN guide §4.1 and §5.2)."""

import pytest
from django.core import mail

from guichet.accounts.models import Organisation, Role, User
from guichet.applications.services import (
    add_document,
    create_application,
    save_draft,
    save_product,
    submit,
)
from tests.conftest import PASSWORD
from tests.fixtures import (
    DMN_ANSWERS,
    DMN_PROFILES,
    PDF,
    complete_dmn_form,
    deposit_required_documents,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(organisation):
    """A member of the lead's organisation, who files the application."""
    return User.objects.create_user(
        email="membre@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_MEMBER,
        organisation=organisation,
    )


@pytest.fixture
def member_company_responsible(db):
    """A member of the group that has its own account on Guichet, for its own applications."""
    company = Organisation.objects.create(name="Capteurs SA", siren="443061841")
    return User.objects.create_user(
        email="resp@capteurs.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=company,
    )


def submitted_mail(application, by, django_capture_on_commit_callbacks):
    import io

    from guichet.files.uploads import upload_from_stream

    deposit_required_documents(application, by)
    for _ in range(len(application.group_members) - 1):  # one mandate per member
        add_document(
            by=by,
            application=application,
            item="mandates",
            upload=upload_from_stream(io.BytesIO(PDF), "mandat.pdf"),
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submit(by=by, application=application)
    return next(m for m in mail.outbox if "candidature soumise" in m.subject)


def test_r_app_3_group_lead_contact_is_the_agency_sole_contact(
    applicant, member, member_company_responsible, dmn, django_capture_on_commit_callbacks
):
    product = save_product(by=member, name="TéléCardio", modules=[{"name": "Web", "version": "1"}])
    application = create_application(
        by=member,
        product=product,
        product_version="1",
        referential_version=dmn,
        pathway_code="nom_de_marque",
        is_group=True,
    )
    save_draft(
        by=member,
        application=application,
        data={
            "form": complete_dmn_form(contact_email="referent@telesante.fr"),
            "answers": DMN_ANSWERS,
            "profiles": DMN_PROFILES,
            "is_group": True,
            "group_members": [
                {"name": "Capteurs SA", "company_id": "443 061 841"},
                {"name": "Hébergeur SAS", "company_id": "552 100 554"},
            ],
        },
    )
    application.refresh_from_db()
    message = submitted_mail(application, member, django_capture_on_commit_callbacks)
    # The lead's contact référent, and the lead's Responsable habilité who signs for it; not
    # the member who filed, nor any member company of the group.
    assert message.to == ["referent@telesante.fr", applicant.email]
    assert member.email not in message.to and member_company_responsible.email not in message.to


def test_r_app_3_single_company_writes_to_its_contact_and_responsible(
    applicant, member, dmn, django_capture_on_commit_callbacks
):
    product = save_product(by=member, name="TéléSuivi", modules=[{"name": "Web", "version": "1"}])
    application = create_application(
        by=member,
        product=product,
        product_version="1",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    save_draft(
        by=member,
        application=application,
        data={
            "form": complete_dmn_form(contact_email="referent@telesante.fr"),
            "answers": DMN_ANSWERS,
            "profiles": DMN_PROFILES,
        },
    )
    application.refresh_from_db()
    message = submitted_mail(application, member, django_capture_on_commit_callbacks)
    assert message.to == ["referent@telesante.fr", applicant.email]
