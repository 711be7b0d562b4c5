# ruff: noqa: F811 (fixtures imported from tests.fixtures)
"""Every answer of the API to bad input is RFC 9457 problem+json with a French detail that says
what to do (issue 10 §1): DRF's own errors (parse, authentication, CSRF, method, media type,
negotiation, pagination, throttling, size) included, and 404s that no view answers."""

import io

import pytest
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from guichet.urls import urlpatterns as guichet_urlpatterns
from tests.conftest import make_staff

# The applications' cast, imported as fixtures (pytest finds them by name).
from tests.fixtures import (  # noqa: F401
    PDF,
    TLC_PROFILES,
    admit,
    applicant,
    complete_tlc_form,
    dmn_application,
    organisation,
    product,
)

pytestmark = pytest.mark.django_db

ENGLISH = (
    "error",
    "Invalid",
    "not allowed",
    "Not found",
    "CSRF Failed",
    "Unsupported",
    "throttled",
)


def assert_french_problem(response, status: int, starts: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["detail"].startswith(starts), body["detail"]
    assert not any(word in body["detail"] for word in ENGLISH), body["detail"]
    return body


@pytest.fixture
def signed_in(api, applicant):
    api.force_authenticate(applicant)
    return api


def test_malformed_json_body_is_a_french_400_with_its_position(signed_in):
    response = signed_in.post("/api/v1/products/", data="{bad", content_type="application/json")
    body = assert_french_problem(response, 400, "Le corps de la requête n'est pas un JSON valide")
    assert "(ligne 1, colonne 2)" in body["detail"]


def test_json_body_not_in_utf8_is_a_french_400(signed_in):
    response = signed_in.post(
        "/api/v1/products/", data='{"name": "é"}'.encode("latin-1"), content_type="application/json"
    )
    assert_french_problem(response, 400, "Le corps de la requête n'est pas encodé en UTF-8")


def test_json_constants_outside_the_standard_are_refused(signed_in):
    response = signed_in.post(
        "/api/v1/products/", data='{"name": NaN}', content_type="application/json"
    )
    assert_french_problem(response, 400, "Le corps de la requête n'est pas un JSON valide")


def test_json_body_over_the_limit_is_a_413_and_changes_nothing(signed_in, settings):
    from guichet.applications.models import Product

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = signed_in.post(
        "/api/v1/products/", {"name": "x" * 2000, "modules": []}, format="json"
    )
    body = assert_french_problem(response, 413, "Le corps de la requête dépasse 1000")
    assert "multipart/form-data" in body["detail"]
    assert not Product.objects.exists()


def test_malformed_multipart_body_is_a_french_400(signed_in, dmn_application):
    response = signed_in.post(
        f"/api/v1/applications/{dmn_application.pk}/documents/functional_documentation/files",
        data=b"--nope\r\nnot a multipart body",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not any(word in response.json()["detail"] for word in ENGLISH)


def test_anonymous_call_is_told_how_to_authenticate(api):
    response = api.get("/api/v1/products/")
    body = assert_french_problem(response, 401, "Authentification requise")
    assert "Authorization: Token" in body["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_token_is_a_french_401_even_on_a_public_endpoint(api):
    for header in ("Token abc", "Token", "Token a b"):
        response = api.get("/api/v1/referentials/", HTTP_AUTHORIZATION=header)
        assert_french_problem(response, 401, "Jeton d'API invalide, révoqué")


def test_session_call_without_csrf_token_gets_a_french_403(applicant):
    from guichet.applications.models import Product

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(applicant)
    response = client.post("/api/v1/products/", {"name": "X"}, format="json")
    body = assert_french_problem(response, 403, "Jeton CSRF absent ou invalide")
    assert "X-CSRFToken" in body["detail"]
    assert not Product.objects.exists()


def test_method_not_allowed_names_the_allowed_ones(signed_in):
    response = signed_in.put("/api/v1/products/", {}, format="json")
    body = assert_french_problem(response, 405, "La méthode PUT n'est pas acceptée")
    assert "GET, POST" in body["detail"]


def test_unsupported_media_type_names_the_accepted_one(signed_in):
    response = signed_in.post("/api/v1/products/", data="name=X", content_type="text/plain")
    body = assert_french_problem(response, 415, "Le type de contenu « text/plain »")
    assert "application/json" in body["detail"]
    form = signed_in.post("/api/v1/products/", {"name": "X"}, format="multipart")
    assert_french_problem(form, 415, "Le type de contenu « multipart/form-data »")


def test_not_acceptable_asks_for_json(signed_in):
    response = signed_in.get("/api/v1/products/", HTTP_ACCEPT="text/csv")
    assert_french_problem(response, 406, "Cette adresse répond en JSON")


def test_unknown_object_is_a_french_404(signed_in):
    assert_french_problem(signed_in.get("/api/v1/products/999/"), 404, "Ressource introuvable")


def test_page_out_of_range_is_a_french_404(signed_in):
    response = signed_in.get("/api/v1/products/?page=9")
    body = assert_french_problem(response, 404, "Page « 9 » introuvable")
    assert "à partir de 1" in body["detail"]


@pytest.mark.parametrize("value", ["null", "abc", "0", "-3", "2.5", ""])
def test_page_size_that_is_not_a_whole_number_from_1_is_refused(signed_in, value):
    response = signed_in.get(f"/api/v1/products/?page_size={value}")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert body["errors"] == {
        "page_size": [f"Indiquez un nombre entier de 1 à 500 (reçu : « {value} »)."]
    }


def test_page_size_above_the_maximum_gives_the_maximum(signed_in, product):
    response = signed_in.get("/api/v1/products/?page_size=100000")
    assert response.status_code == 200 and response.json()["count"] == 1


class _Saturated(BaseThrottle):
    def allow_request(self, request, view):
        return False

    def wait(self):
        return 42


class _ThrottledApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [_Saturated]

    def get(self, request):
        return Response({})


urlpatterns = [path("api/v1/test-throttled", _ThrottledApi.as_view()), *guichet_urlpatterns]


def test_throttled_call_is_told_when_to_retry(api, settings):
    # No endpoint of ours throttles every call: a view that always does, behind our handler.
    settings.ROOT_URLCONF = __name__
    response = api.get("/api/v1/test-throttled")
    assert_french_problem(response, 429, "Trop de requêtes : réessayez dans 42 secondes.")
    assert response["Retry-After"] == "42"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications/1/files/not-a-uuid",
        "/api/v1/nulle-part/",
        "/api/v2/products/",
        "/api/v1/products/abc/",
    ],
)
def test_api_path_no_view_answers_is_a_problem_json_404_whatever_debug(
    client, settings, debug, url
):
    settings.DEBUG = debug
    response = client.get(url)
    assert_french_problem(response, 404, "Ressource introuvable")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("url", ["/nulle-part/", "/candidatures/999999/"])
def test_page_404_is_the_french_page_whatever_debug(client, settings, applicant, debug, url):
    """An unknown path and a view's Http404 (a missing application) show the French page in
    the DSFR look, also under `make run` (DEBUG on), never Django's English debug page."""
    settings.DEBUG = debug
    client.force_login(applicant)
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Page introuvable" in body and "fr-header" in body
    assert "Page not found" not in body


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("dsfr/dist/favicon/favicon.ico")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    b"".join(icon.streaming_content)  # read to its end, the file closed
    icon.close()


def test_api_path_without_its_final_slash_still_redirects(client):
    response = client.get("/api/v1/referentials")
    assert response.status_code == 301 and response["Location"] == "/api/v1/referentials/"


# --- R-EVD-3: the specific reason of a refused sensitive proof -------------------------------


@pytest.fixture
def sensitive_file(applicant, tlc, product, instructor):
    from guichet.applications.services import create_application
    from guichet.evidence import services as evidence
    from guichet.evidence.selectors import tree as evidence_tree
    from guichet.files.uploads import upload_from_stream

    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=tlc,
        pathway_code="teleconsultation",
    )
    admit(
        application,
        applicant=applicant,
        instructor=instructor,
        form=complete_tlc_form(),
        profiles=TLC_PROFILES,
    )
    proof = next(
        p["proof"]
        for node in evidence_tree(application)
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
        if p["proof"].sensitive
    )
    created = evidence.add_evidence_files(
        by=applicant,
        application=application,
        proof_id=proof.pk,
        uploads=[upload_from_stream(io.BytesIO(PDF), "intrusion.pdf", encrypt=True)],
    )
    return application, created[0].file


SENSITIVE_REASON = "Preuve sensible : réservée au candidat et aux instructeurs de la candidature."


def test_r_evd_3_refused_sensitive_proof_gives_its_reason_in_the_api(api, sensitive_file):
    application, stored = sensitive_file
    api.force_authenticate(make_staff("autre-instructeur@agence.test", "instructor"))
    response = api.get(f"/api/v1/applications/{application.pk}/files/{stored.pk}")
    assert_french_problem(response, 403, SENSITIVE_REASON)


def test_r_evd_3_refused_sensitive_proof_gives_its_reason_on_the_page(client, sensitive_file):
    from guichet.accounts.terms import accept_terms, current_terms

    application, stored = sensitive_file
    instructor = make_staff("autre-instructeur@agence.test", "instructor")
    terms = current_terms()
    if terms is not None:
        accept_terms(user=instructor, terms=terms)
    client.force_login(instructor)
    session = client.session
    session["guichet_mfa_enrolled"] = True
    session.save()
    response = client.get(f"/candidatures/{application.pk}/fichiers/{stored.pk}/")
    assert response.status_code == 403
    assert SENSITIVE_REASON in response.content.decode()


def test_permission_message_of_a_view_is_kept(api, applicant):
    api.force_authenticate(applicant)
    response = api.get("/api/v1/journal/")
    assert_french_problem(response, 403, "Réservé aux administrateurs de l'agence")


def test_a_library_refusal_in_english_is_not_shown(api, applicant):
    # allauth refuses a request without a client address with an English reason.
    response = api.post(
        "/api/v1/auth/token",
        {"email": applicant.email, "password": "x"},
        format="json",
        REMOTE_ADDR="",
    )
    assert_french_problem(response, 403, "Votre compte ne permet pas cette action.")


def test_a_null_body_is_told_to_send_an_object(signed_in):
    response = signed_in.post("/api/v1/products/", data="null", content_type="application/json")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert body["errors"] == {
        "non_field_errors": ["Envoyez un objet JSON dans le corps de la requête."]
    }


def test_our_not_found_reason_is_kept_and_django_s_is_not(api, applicant, catalogue):
    response = api.get("/api/v1/referentials/DMN/9.9/")
    assert_french_problem(response, 404, "Version 9.9 du référentiel DMN introuvable.")
    api.force_authenticate(applicant)
    # get_object_or_404 says « No Product matches the given query. »
    assert_french_problem(api.get("/api/v1/products/999/"), 404, "Ressource introuvable")
