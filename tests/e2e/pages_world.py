"""The world the page habits are checked on (tests/e2e/test_page_habits.py): one applicant
organisation with a dossier at each stage a person meets, the agency's staff, a certificate
issued by the collège a month ago and the next session with a dossier on its agenda. Everything
is reached through the services and the workflow, as users reach it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.test import Client
from django.utils import timezone

from guichet.accounts.models import Role, User
from guichet.applications.models import Application
from guichet.applications.services import create_application, save_product
from guichet.certificates.lifecycle import act
from guichet.certificates.models import Certificate
from guichet.committee.models import CommitteeSession
from guichet.referentials.selectors import get_version
from tests.certificates.world import certified, small_dmn
from tests.committee.committee_world import finished, session_on
from tests.conftest import committed, make_staff
from tests.factories import OrganisationFactory, UserFactory
from tests.instruction.instruction_world import in_instruction
from tests.workflow import walk

REGISTRATION = {
    "company_name": "Cardio Connect SAS",
    "company_id": "443 061 841",
    "responsible_first_name": "Alex",
    "responsible_last_name": "Petit",
    "responsible_email": "alex@cardio-connect.fr",
    "responsible_phone": "01 23 45 67 89",
    "legal_rep_first_name": "Sacha",
    "legal_rep_last_name": "Roux",
    "legal_rep_email": "sacha@cardio-connect.fr",
    "legal_rep_phone": "+33 6 12 34 56 78",
}


@dataclass
class World:
    users: dict[str, User]
    certificate: Certificate | None = None
    session: CommitteeSession | None = None
    scheduled: Application | None = None
    instruction: Application | None = None
    draft: Application | None = None
    submitted: Application | None = None
    evidence: Application | None = None


# What each role's pages show, built for that role only.
NEEDS = {
    "public": {"certificate"},
    "applicant": {"certificate", "instruction", "dossiers"},
    "instructor": {"instruction", "dossiers"},
    "committee": {"certificate", "agenda"},
    "admin": {"certificate"},
    "support": {"registration"},
}


def _new_application(applicant, version, name: str) -> Application:
    product = save_product(by=applicant, name=name, modules=[{"name": "Web", "version": "2.0"}])
    return create_application(
        by=applicant,
        product=product,
        product_version="2.0",
        referential_version=version,
        pathway_code="nom_de_marque",
    )


def build(role: str) -> World:
    """The world `role`'s pages show. Seals PDFs (asyncio.run): call it off the browser's
    thread."""
    needs = NEEDS[role]
    organisation = OrganisationFactory(name="Télésanté", siren="732829320")
    applicant = UserFactory(
        email="resp@telesante.fr", organisation=organisation, last_name="Martin"
    )
    world = World(
        users={
            "applicant": applicant,
            "instructor": make_staff("instructeur@agence.test", Role.INSTRUCTOR),
            "committee": make_staff("college@agence.test", Role.COMMITTEE),
            "admin": make_staff("admin@agence.test", Role.AGENCY_ADMIN),
            "support": make_staff("support@agence.test", Role.SUPPORT),
        }
    )
    staff = {"applicant": applicant, "instructor": world.users["instructor"]}
    today = timezone.localdate()
    if "certificate" in needs:  # decided a month ago, its session held
        world.certificate = certified(
            small_dmn(),
            committee_member=world.users["committee"],
            day=today - dt.timedelta(days=30),
            **staff,
        )
        # A formal notice under way: its long cells (the facts, the deadline) in the tables of
        # the holder's and the agency's pages (issue 22 §5: they once clipped whole columns).
        act(
            world.certificate,
            "give_formal_notice",
            by=world.users["admin"],
            reason="Les traces des accès aux données de santé ne sont plus conservées pendant "
            "la durée exigée par le référentiel ; la politique de sécurité n'est pas à jour.",
            kind="non_conformity",
            deadline=today + dt.timedelta(days=60),
        )
    if "agenda" in needs:  # the next session, a finished dossier put on its agenda
        world.session = session_on(
            today + dt.timedelta(days=7),
            by=world.users["committee"],
            members=[{"user": world.users["committee"].pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        world.scheduled = finished(small_dmn(), **staff)
    if "instruction" in needs:
        world.instruction = in_instruction(small_dmn(), **staff)
    if "dossiers" in needs:
        # On the shipped DMN catalogue: a draft, a dossier awaiting its admissibility review,
        # one depositing its evidence.
        dmn = get_version("DMN", "1.2.2")
        world.draft = _new_application(applicant, dmn, "TéléSuivi")
        with committed():
            world.submitted = walk(
                _new_application(applicant, dmn, "CardioPilote"), "submitted", **staff
            )
            world.evidence = walk(
                _new_application(applicant, dmn, "GlycoNote"), "evidence", **staff
            )
    if "registration" in needs:  # an account request waiting for the support
        with committed():
            answer = Client().post("/compte/demande/", REGISTRATION)
        assert answer.status_code == 302, answer.content.decode()
    return world


def pages(world: World, role: str) -> dict[str, str]:
    """The main pages each role reads: a name (its screenshot's) and its address."""
    if role == "support":
        return {"mon-travail": "/mon-travail/", "demandes": "/compte/agence/demandes/"}
    number = world.certificate.number if world.certificate else None
    certified = world.certificate.application_id if world.certificate else None
    if role == "public":
        return {
            "accueil": "/",
            "referentiels": "/referentiels/",
            "referentiel-dmn": "/referentiels/DMN/1.2.2/",
            "simulateur": "/simulateur/",
            "simulateur-dmn": "/simulateur/DMN/1.2.2/",
            "registre": "/registre/",
            "verification": "/certificats/",
            "certificat": f"/certificats/{number}/",
            "connexion": "/compte/connexion/",
            "demande-de-compte": "/compte/demande/",
            "cgu": "/cgu/",
        }
    if role == "applicant":
        return {
            "candidatures": "/candidatures/",
            "nouveau-produit": "/candidatures/produits/nouveau/",
            "nouvelle-candidature": "/candidatures/nouvelle/",
            "brouillon": f"/candidatures/{world.draft.pk}/",
            "formulaire": f"/candidatures/{world.draft.pk}/formulaire/",
            "preuves": f"/candidatures/{world.evidence.pk}/preuves/",
            "en-instruction": f"/candidatures/{world.instruction.pk}/",
            "certifiee": f"/candidatures/{certified}/",
            "echanges": f"/candidatures/{certified}/messages/",
            "certificat": f"/certificats/{number}/gerer/",
            "mes-certificats": "/mes-certificats/",
            "messages": "/messages/",
            "compte": "/compte/",
        }
    if role == "instructor":
        return {
            "mon-travail": "/mon-travail/",
            "file-d-instruction": "/agence/instruction/",
            "recevabilite": f"/candidatures/{world.submitted.pk}/recevabilite/",
            "en-instruction": f"/candidatures/{world.instruction.pk}/",
            "instruction": f"/candidatures/{world.instruction.pk}/instruction/",
            "preuves": f"/candidatures/{world.instruction.pk}/preuves/",
            "echanges": f"/candidatures/{world.instruction.pk}/messages/",
        }
    if role == "committee":
        return {
            "mon-travail": "/mon-travail/",
            "college": "/agence/college/",
            "seance": f"/agence/college/seances/{world.session.pk}/",
            "a-decider": f"/candidatures/{world.scheduled.pk}/",
            "recours": f"/candidatures/{certified}/decision/recours/",
        }
    if role == "admin":
        return {
            "mon-travail": "/mon-travail/",
            "referentiels": "/agence/referentiels/",
            "regles": f"/agence/referentiels/versions/{get_version('DMN', '1.2.2').pk}/regles/",
            "journal": "/agence/journal/",
            "tableau-de-bord": "/agence/tableau-de-bord/",
            "certificats": "/agence/certificats/",
            "certificat": f"/agence/certificats/{number}/",
            "agrements": "/agence/certificats/agrements/",
        }
    raise ValueError(role)


ROLES = ["public", "applicant", "instructor", "committee", "admin", "support"]
