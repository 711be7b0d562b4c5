"""The world the cluster test acts on (issue 23 §2), built once in the platform's environment by
`manage.py shell` (`build_and_print`), through the services and the suite's world helpers, as
users would have made it: an applicant organisation with its Responsable habilité, an
instructor and a member of the collège (both with their TOTP second factor), a certificate
issued yesterday by the collège on a small DMN version, drafts ready to submit and a draft that
receives uploads. Tasks run where they are queued while it is built (the suite's immediate
backend), so that the certificate's PDF and the convention exist before any node starts; the
passwords are hashed by the platform's own hasher, since the nodes check them."""

from __future__ import annotations

import datetime as dt
import json

from django.test.utils import override_settings

READY_DRAFTS = 8  # drafts whose form and documents are complete: submitted by the tests
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MARK = "CLUSTER-WORLD "


def build() -> dict:
    from django.utils import timezone

    from guichet.accounts.models import Role
    from guichet.applications.services import create_application, save_draft, save_product
    from tests.certificates.world import issued, small_dmn
    from tests.factories import OrganisationFactory, StaffFactory, UserFactory
    from tests.fixtures import complete_dmn_form, deposit_required_documents

    organisation = OrganisationFactory(name="Télésanté Grappe", siren="732829320")
    applicant = UserFactory(
        email="responsable@grappe.test", first_name="Camille", organisation=organisation
    )
    instructor = StaffFactory(email="instructeur@grappe.test", role=Role.INSTRUCTOR)
    committee_member = StaffFactory(email="college@grappe.test", role=Role.COMMITTEE)
    version = small_dmn()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    certificate = issued(
        version,
        applicant=applicant,
        instructor=instructor,
        committee_member=committee_member,
        signed=yesterday - dt.timedelta(days=3),
        day=yesterday,
    )

    def draft(name: str, *, ready: bool) -> int:
        product = save_product(by=applicant, name=name, modules=[{"name": "Web", "version": "1.0"}])
        application = create_application(
            by=applicant,
            product=product,
            product_version="1.0",
            referential_version=version,
            pathway_code="nom_de_marque",
        )
        if ready:
            save_draft(
                by=applicant,
                application=application,
                data={"form": complete_dmn_form(), "profiles": ["general"]},
            )
            deposit_required_documents(application, applicant)
        return application.pk

    return {
        "applicant": applicant.email,
        "instructor": instructor.email,
        "certificate": certificate.number,
        "ready_drafts": [draft(f"Prêt {i}", ready=True) for i in range(READY_DRAFTS)],
        "upload_draft": draft("Dépôts", ready=False),
    }


def build_and_print() -> None:
    from guichet.referentials.services import load_catalogue

    load_catalogue()
    with override_settings(TASKS=IMMEDIATE_TASKS):
        world = build()
    print(MARK + json.dumps(world))


def parse(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise AssertionError(f"the world builder printed no world: {stdout[-2000:]}")
