# ruff: noqa: F811 (fixtures imported from tests.fixtures)
"""Every error a person or a client can meet reads in French (issue 20 §1): a page for 400,
403, 404, 405, 413 and 500, problem+json under /api/, with `make run`'s DEBUG on as in
production. What the probe found: a deeply nested JSON body gave a 500, an unknown action on a
page a 500, a GET on a POST-only page an empty 405, a page POST over the size limit Django's
English 400."""

import pytest
from django.test import Client
from django.urls import path

from guichet.accounts.models import Role
from guichet.urls import urlpatterns as guichet_urlpatterns
from tests.certificates.world import certified, small_dmn
from tests.conftest import make_staff
from tests.fixtures import applicant, organisation, people  # noqa: F401
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db

ENGLISH = (
    "Bad Request",
    "Forbidden",
    "Not Found",
    "Method Not Allowed",
    "Server Error",
    "Traceback",
    "Request body",
    "CSRF verification",
)


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    """`make run` serves with DEBUG on: its errors read in French too."""
    settings.DEBUG = request.param
    return request.param


def assert_french_page(response, status: int, heading: str) -> str:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert f"<h1>{heading}</h1>" in body, body[:600]
    assert 'lang="fr"' in body
    assert not [word for word in ENGLISH if word in body]
    assert 'href="/"' in body  # a way on
    return body


def assert_french_problem(response, status: int, starts: str) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"].startswith(starts), body
    assert not [word for word in ENGLISH if word in body["detail"]]
    return body


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000],
    ids=["arrays", "objects"],
)
def test_a_deeply_nested_json_body_is_a_french_400_even_anonymously(client, body):
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    detail = assert_french_problem(response, 400, "Le corps de la requête")["detail"]
    assert "imbriqu" in detail


def test_an_unknown_action_on_an_application_page_is_a_french_404(client, dmn, debug):
    application = ApplicationFactory(referential=dmn, state="draft")
    client.force_login(application.created_by)
    response = client.post(f"/candidatures/{application.pk}/actions/nope/", {"confirm": "on"})
    assert_french_page(response, 404, "Page introuvable")


def test_an_unknown_action_on_a_certificates_pages_is_a_french_404(client, catalogue, people):
    certificate = certified(small_dmn(), **people)
    client.force_login(people["applicant"])
    response = client.post(f"/certificats/{certificate.number}/gerer/actions/nope/")
    assert_french_page(response, 404, "Page introuvable")
    client.force_login(people["instructor"])
    response = client.post(f"/agence/certificats/{certificate.number}/actions/nope/")
    assert_french_page(response, 404, "Page introuvable")


def test_a_get_on_a_post_only_page_is_a_french_405_that_says_what_to_do(client, dmn, debug):
    application = ApplicationFactory(referential=dmn, state="draft")
    client.force_login(application.created_by)
    response = client.get(f"/candidatures/{application.pk}/soumettre/")
    body = assert_french_page(response, 405, "Action impossible par cette adresse")
    assert response["Allow"] == "POST"
    assert "bouton" in body


@pytest.mark.parametrize("method", ["put", "delete", "patch", "trace"])
def test_a_method_no_page_uses_is_a_french_405(client, method):
    response = getattr(client, method)("/")
    assert_french_page(response, 405, "Action impossible par cette adresse")
    assert response["Allow"] == "GET, HEAD, POST"


def test_a_page_post_over_the_size_limit_is_a_french_413(client, settings, debug):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        "/compte/connexion/", {"login": "a@b.fr", "password": "x" * 5000}, REMOTE_ADDR="127.0.0.1"
    )
    body = assert_french_page(response, 413, "Envoi trop volumineux")
    assert "1000\xa0octets" in body


def test_an_api_post_over_the_size_limit_stays_a_french_problem(client, settings, debug):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        "/api/v1/auth/token",
        {"email": "a@b.fr", "password": "x" * 5000},
        content_type="application/json",
    )
    assert_french_problem(response, 413, "Le corps de la requête dépasse")


def test_a_bad_request_is_a_french_400_page_and_problem(client, settings, debug):
    settings.ALLOWED_HOSTS = ["testserver"]
    assert_french_page(client.get("/", HTTP_HOST="ailleurs.example"), 400, "Requête invalide")
    assert_french_problem(
        client.get("/api/v1/referentials/", HTTP_HOST="ailleurs.example"),
        400,
        "La requête est mal formée",
    )


def test_a_form_sent_without_its_csrf_token_is_a_french_403_that_says_to_reload(debug):
    response = Client(enforce_csrf_checks=True).post(
        "/compte/connexion/", {"login": "a@b.fr", "password": "x"}
    )
    body = assert_french_page(response, 403, "Formulaire expiré")
    assert "rechargez la page" in body


def _fails(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("cassee/", _fails),
    path("api/v1/cassee/", _fails),
    *guichet_urlpatterns,
]


@pytest.mark.urls(__name__)
def test_a_server_error_is_a_french_500_page_and_problem(debug):
    client = Client(raise_request_exception=False)
    response = client.get("/cassee/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>Une erreur est survenue</h1>" in body and "boom" not in body
    assert not [word for word in ENGLISH if word in body]
    assert_french_problem(client.get("/api/v1/cassee/"), 500, "Erreur interne")


def test_staff_pages_errors_read_in_french_too(client, debug):
    client.force_login(make_staff("instructeur@agence.test", Role.INSTRUCTOR))
    assert_french_page(client.get("/agence/certificats/NOPE/"), 404, "Page introuvable")
