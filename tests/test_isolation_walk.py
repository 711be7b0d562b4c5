"""Walks every URL pattern of the project (R-ACT-1): an anonymous visitor and an applicant
get nothing but the public pages; new patterns are found automatically."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from guichet.accounts.models import Organisation, Role, User
from guichet.journal.models import JournalEntry
from guichet.referentials.models import ReferentialVersion
from tests.conftest import PASSWORD

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
    "compte/connexion/",
    "compte/deconnexion/",
    "compte/demande/",
    "compte/demande/envoyee/",
    "compte/mot-de-passe/<uidb64>/<token>/",
    "api/v1/referentials/",
    "api/v1/referentials/<code>/<version>/",
    "api/v1/referentials/<code>/<version>/requirements",
    "api/v1/referentials/<code>/<version>/profile-check",
    "api/v1/registrations/",
    "api/v1/schema/",
    "api/v1/docs/",
}
# Third-party flows with their own access rules (login, password reset, MFA, admin).
THIRD_PARTY = ("django-admin/", "accounts/")

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


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
def test_r_act_1_non_public_urls_answer_no_2xx_and_change_nothing(client, catalogue, who):
    if who == "applicant":
        organisation = Organisation.objects.create(name="Autre", siren="732829320")
        User.objects.create_user(
            email="b@autre.fr",
            password=PASSWORD,
            role=Role.APPLICANT_ADMIN,
            organisation=organisation,
        )
        client.login(email="b@autre.fr", password=PASSWORD)
    pk = ReferentialVersion.objects.first().pk
    before = (JournalEntry.objects.count(), list(ReferentialVersion.objects.values("state")))
    for route in routes():
        if route in PUBLIC:
            continue
        url = concrete(route, pk)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert not 200 <= response.status_code < 300, (
                f"{method.upper()} {url} answered {response.status_code}"
            )
    after = (JournalEntry.objects.count(), list(ReferentialVersion.objects.values("state")))
    assert after == before
