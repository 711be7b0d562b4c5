"""Walks every URL pattern of the project (R-ACT-1): an anonymous visitor and an applicant
get nothing but the public pages; new patterns are found automatically."""

import datetime as dt
import io
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token

from guichet.accounts.models import Organisation, RegistrationRequest, Role, User
from guichet.applications.models import Application, Product
from guichet.applications.services import create_application, save_product
from guichet.certificates.models import (
    Certificate,
    Control,
    ExceptionalCommitment,
    FormalNotice,
    FormalNoticeAnswer,
)
from guichet.committee.models import CommitteeSession, Decision, SessionMember
from guichet.committee.services import create_session
from guichet.conventions.models import Convention
from guichet.evidence import services as evidence
from guichet.evidence.models import EvidenceFile, EvidenceSection
from guichet.evidence.selectors import tree as evidence_tree
from guichet.files.models import StoredFile
from guichet.files.uploads import upload_from_stream
from guichet.journal.models import JournalEntry
from guichet.messaging.models import Message, ThreadRead
from guichet.messaging.services import post_message
from guichet.referentials.models import ReferentialVersion
from tests.conftest import PASSWORD
from tests.factories import StaffFactory
from tests.fixtures import PDF
from tests.workflow import walk as walk_to

pytestmark = pytest.mark.django_db

# Public by design: the short, explicit allow-list.
PUBLIC = {
    "",
    "referentiels/",
    "referentiels/<code>/<version>/",
    "referentiels/<code>/<version>/exigences.<fmt>",
    "simulateur/",
    "simulateur/<code>/<version>/",
    "simulateur/<code>/<version>/exigences-applicables.<fmt>",
    "cgu/",
    "compte/connexion/",
    "compte/deconnexion/",
    "compte/inactif/",
    "compte/mot-de-passe/oubli/",
    "compte/mot-de-passe/oubli/envoye/",
    "compte/mot-de-passe/oubli/termine/",
    "compte/demande/",
    "compte/demande/envoyee/",
    "compte/mot-de-passe/<uidb64>/<token>/",
    "api/v1/referentials/",
    "api/v1/referentials/<code>/<version>/",
    "api/v1/referentials/<code>/<version>/requirements",
    "api/v1/referentials/<code>/<version>/profile-check",
    "api/v1/registrations/",
    # Public verification of certificates (R-CRT-9): what a certificate states, nothing else
    # (tests/certificates/test_verification.py checks that no private data shows).
    "certificats/",
    "certificats/<number>/",
    "api/v1/certificates/<number>",
    "api/v1/certificates/<number>.pdf",
    # The public register and its open data (R-PUB-1): test_register checks they show nothing
    # private; a subscription's links carry its secret token.
    "registre/",
    "registre/flux.atom",
    "registre/abonnement/",
    "registre/abonnement/envoye/",
    "registre/abonnement/<token>/",
    "registre/abonnement/<token>/resilier/",
    "register.csv",
    "register.json",
    "register/schema.json",
    "schema.json",
    "api/v1/register/",
    "api/v1/register.csv",
    "api/v1/register.json",
    "api/v1/register/schema.json",
    # The applications in progress whose applicant consented (R-PUB-2): product, referential
    # and planned date only (tests/certificates/test_in_progress.py).
    "candidatures-en-cours/",
    "applications-in-progress.csv",
    "applications-in-progress.json",
    "applications-in-progress/schema.json",
    "api/v1/applications-in-progress/",
    "api/v1/applications-in-progress.csv",
    "api/v1/applications-in-progress.json",
    "api/v1/applications-in-progress/schema.json",
    "api/v1/schema/",
    "api/v1/docs/",
    # The host's probes (issue 24 §2): the process answers, the node is ready; nothing
    # sensitive in them (tests/monitoring/test_health.py). /metrics is not here: it answers
    # only to its bearer token.
    "sante/vivant",
    "sante/pret",
    # The agency's seal certificates and their chain, public by nature (issue 24 §4).
    "pki/",
    "pki/chaine.pem",
    "pki/<fingerprint>.pem",
}
# For the other organisation's applicant, a route without parameters (its own lists, its own
# account, forms to create its own objects) may answer 2xx, but never with organisation A's
# data; a route naming an object never answers 2xx on organisation A's object.
LEAKS = ("Produit A", "Organisation A", "a2@orga.fr", "DMN-", "Message de A", "Note interne sur A")
# Third-party flows with their own access rules (the admin signs in through allauth).
THIRD_PARTY = ("django-admin/",)

SAMPLES = {"code": "DMN", "version": "1.2.2", "fmt": "xlsx", "uidb64": "MQ", "token": "x-y"}


def walk(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def normalize(route):
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route)


def concrete(route, pk):
    return "/" + re.sub(r"<(\w+)>", lambda m: SAMPLES.get(m.group(1), str(pk)), route)


def routes():
    found = sorted({normalize(r) for r in walk()})
    return [r for r in found if not r.startswith(THIRD_PARTY) and "(?P" not in r]


def test_r_act_1_the_walk_finds_the_patterns():
    found = routes()
    assert "agence/referentiels/" in found
    assert "api/v1/registrations/<pk>/approve" in found
    assert PUBLIC - set(found) == set(), "an allow-listed route no longer exists"


def organisation_a():
    """Organisation A and its objects: what the walker must neither see nor change."""
    owner = Organisation.objects.create(name="Organisation A", siren="552100554")
    responsible = User.objects.create_user(
        email="a@orga.fr", password=PASSWORD, role=Role.APPLICANT_ADMIN, organisation=owner
    )
    member = User.objects.create_user(
        email="a2@orga.fr", password=PASSWORD, role=Role.APPLICANT_MEMBER, organisation=owner
    )
    Token.objects.create(user=member)
    registration = RegistrationRequest.objects.create(
        company_name="Demandeur",
        company_id="443061841",
        siren="443061841",
        responsible_email="x@demandeur.fr",
        legal_rep_email="y@demandeur.fr",
    )
    product = save_product(
        by=responsible, name="Produit A", modules=[{"name": "Web", "version": "1"}]
    )
    application = create_application(
        by=responsible,
        product=product,
        product_version="1",
        referential_version=ReferentialVersion.objects.get(referential__code="DMN"),
        pathway_code="nom_de_marque",
    )
    # Take A's application through its documents, a signed convention and one proof (the
    # workflow's way), so that every file route has a real object of A to refuse.
    application = walk_to(
        application,
        "evidence",
        applicant=responsible,
        instructor=StaffFactory(email="instructeur-a@agence.test"),
    )
    document = application.documents.first()
    node = evidence_tree(application)[0]
    proof = node.requirements[0]["scenarios"][0]["proofs"][0]["proof"]
    evidence.add_evidence(
        by=responsible,
        application=application,
        proof_id=proof.pk,
        upload=upload_from_stream(io.BytesIO(PDF), "preuve-a.pdf"),
    )
    # A thread with a message of A (and its file) and an agency note on it.
    message = post_message(
        by=responsible,
        application=application,
        body="Message de A",
        uploads=[upload_from_stream(io.BytesIO(PDF), "message-a.pdf")],
    )
    note = post_message(
        by=User.objects.get(email="instructeur-a@agence.test"),
        application=application,
        body="Note interne sur A",
        internal=True,
    )
    # A session of the collège, agency-only: an applicant finds nothing there (404).
    session = create_session(
        by=StaffFactory(email="college-a@agence.test", role=Role.COMMITTEE),
        date=timezone.localdate() + dt.timedelta(days=7),
        members=[{"name": "Partenaire", "body": "cnam"}],
    )
    # A certificate of A, issued through the collège: its holder's page, its acts and the
    # API of its life answer 404 to another organisation (issue 13 §3).
    from tests.certificates.world import certified, small_dmn

    certificate = certified(
        small_dmn(),
        applicant=responsible,
        instructor=User.objects.get(email="instructeur-a@agence.test"),
        committee_member=User.objects.get(email="college-a@agence.test"),
        day=timezone.localdate() + dt.timedelta(days=14),
    )
    # An open formal notice on it: its answer form and API answer 404 to another
    # organisation (issue 22 §2).
    from guichet.certificates.lifecycle import act

    act(
        certificate,
        "give_formal_notice",
        by=User.objects.get(email="instructeur-a@agence.test"),
        reason="Non-conformité de A",
        kind="non_conformity",
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    SAMPLES.update(
        {
            "notice": str(certificate.formal_notices.get().pk),
            "number": certificate.number,
            "name": "stop_renewal",
            "mid": str(message.pk),
            "member": str(session.members.get().pk),
            "file_id": str(document.file_id),
            "item": document.item,
            "section": node.section.code,
        }
    )
    return sorted(
        {
            responsible.pk,
            member.pk,
            registration.pk,
            product.pk,
            application.pk,
            proof.pk,
            session.pk,
            certificate.application_id,
        }
        | {message.pk, note.pk}
        | set(ReferentialVersion.objects.values_list("pk", flat=True))
    )


def snapshot():
    return (
        StoredFile.objects.count(),
        EvidenceFile.objects.count(),
        list(Convention.objects.values_list("signed_id", flat=True)),
        list(EvidenceSection.objects.values_list("state", flat=True)),
        list(Application.objects.values_list("status", "form", "profiles", "product_version")),
        list(Product.objects.values_list("name", flat=True)),
        JournalEntry.objects.count(),
        list(ReferentialVersion.objects.values_list("state", flat=True)),
        list(
            User.objects.filter(organisation__siren="552100554").values_list("is_active", flat=True)
        ),
        Token.objects.count(),
        list(RegistrationRequest.objects.values_list("status", flat=True)),
        list(Message.objects.values_list("pk", "body")),
        list(ThreadRead.objects.values_list("user_id", "application_id", "last_read_id")),
        list(CommitteeSession.objects.values_list("date", "status")),
        list(SessionMember.objects.values_list("name", "present")),
        Decision.objects.count(),
        list(
            Certificate.objects.values_list(
                "status", "renewal_stopped_on", "approval_filed_on", "finess", "revision"
            )
        ),
        FormalNotice.objects.count(),
        FormalNoticeAnswer.objects.count(),
        Control.objects.count(),
        ExceptionalCommitment.objects.count(),
    )


def content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
def test_r_act_1_non_public_urls_answer_no_2xx_and_change_nothing(client, catalogue, who):
    candidates = organisation_a()
    if who == "applicant":
        other = Organisation.objects.create(name="Autre", siren="732829320")
        User.objects.create_user(
            email="b@autre.fr", password=PASSWORD, role=Role.APPLICANT_ADMIN, organisation=other
        )
        client.login(email="b@autre.fr", password=PASSWORD)
    before = snapshot()
    for route in routes():
        if route in PUBLIC:
            continue
        names_an_object = "<" in route
        urls = (
            {concrete(route, pk) for pk in candidates} if names_an_object else {concrete(route, 0)}
        )
        for url in sorted(urls):
            for method in ("get", "post", "patch", "delete"):
                response = getattr(client, method)(url)
                if who == "applicant" and not names_an_object:
                    body = content(response)
                    assert not any(leak in body for leak in LEAKS), f"{method.upper()} {url} leaks"
                    continue
                assert not 200 <= response.status_code < 300, (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
    assert snapshot() == before
