"""The schema tells the truth about inputs (issue 20 §1, found by schemathesis with every check
on): what the API refuses, its schema says — bounds, required fields, closed objects, the NUL
character — and what the schema refuses, the API refuses with a French 400 — an empty filter,
a file sent as text — or 405 for a method that no operation declares."""

from io import BytesIO

import pytest
from rest_framework.test import APIClient

from guichet.accounts.models import Role
from guichet.common.api import NUL_REFUSED
from tests.conftest import make_staff
from tests.fixtures import PDF
from tests.test_api_errors import assert_french_problem

pytestmark = pytest.mark.django_db

NUL = "\u0000"


@pytest.fixture
def signed_in(api, applicant):
    api.force_authenticate(applicant)
    return api


@pytest.fixture
def schema(api):
    return api.get("/api/v1/schema/?format=json").json()


def request_body(schema, path, method, media_type="application/json") -> dict:
    body = schema["paths"][path][method]["requestBody"]["content"][media_type]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return body


def query_parameters(schema, path) -> dict:
    return {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"][path]["get"]["parameters"]
        if parameter["in"] == "query"
    }


# --- Methods ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "trace"])
def test_a_method_an_upload_endpoint_does_not_take_is_a_french_405(
    signed_in, dmn_application, method
):
    for path in (
        f"/api/v1/applications/{dmn_application.pk}/documents/functional_documentation/files",
        f"/api/v1/applications/{dmn_application.pk}/information-requests/1/files",
        f"/api/v1/applications/{dmn_application.pk}/missing-items/1/files",
        f"/api/v1/applications/{dmn_application.pk}/messages/",
    ):
        upload = BytesIO(PDF)
        upload.name = "preuve.pdf"
        response = getattr(signed_in, method)(path, {"file": upload}, format="multipart")
        body = assert_french_problem(response, 405, f"La méthode {method.upper()}")
        assert "POST" in response["Allow"] and "POST" in body["detail"], path


def test_a_method_the_committee_does_not_take_is_a_405_even_for_an_applicant(signed_in):
    response = signed_in.generic("TRACE", "/api/v1/committee/sessions/")
    assert_french_problem(response, 405, "La méthode TRACE")
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert signed_in.get("/api/v1/committee/sessions/").status_code == 404  # still nothing


def test_an_anonymous_undeclared_method_is_still_asked_to_sign_in():
    response = APIClient().put("/api/v1/applications/1/messages/")
    assert response.status_code == 401


# --- Files ------------------------------------------------------------------------------------


def test_a_file_sent_as_text_is_refused(signed_in, dmn_application):
    from guichet.messaging.models import Message

    url = f"/api/v1/applications/{dmn_application.pk}/messages/"
    response = signed_in.post(url, {"body": "Voici", "file": "pas un fichier"}, format="multipart")
    body = assert_french_problem(response, 400, "« file » doit être un fichier")
    assert body["errors"] == {"file": [body["detail"]]}
    assert not Message.objects.exists()


def test_an_upload_schema_asks_for_one_file_at_least(schema):
    for path in (
        "/api/v1/applications/{id}/documents/{item}/files",
        "/api/v1/applications/{id}/evidence/{proof}/files",
    ):
        upload = request_body(schema, path, "post", "multipart/form-data")
        assert upload["properties"]["file"]["minItems"] == 1, path


# --- The NUL character ------------------------------------------------------------------------


def test_the_schema_says_no_text_holds_a_nul_character(schema):
    product = request_body(schema, "/api/v1/products/", "post")["properties"]
    assert product["description"]["pattern"] == "^[^\\u0000]*$"
    # Required, so not blank either.
    module = schema["components"]["schemas"]["ModuleRequest"]["properties"]["name"]
    assert module["pattern"] == "^\\s*[^\\s\\u0000][^\\u0000]*$"
    assert query_parameters(schema, "/api/v1/applications/")["q"]["pattern"] == "^[^\\u0000]*$"


def test_a_nul_character_is_refused_in_a_field_in_a_form_and_in_a_query(signed_in, dmn_application):
    named = signed_in.post("/api/v1/products/", {"name": f"Télé{NUL}Suivi"}, format="json")
    assert_french_problem(named, 400, "Les données envoyées sont invalides")
    before = dict(dmn_application.form)
    nested = signed_in.patch(
        f"/api/v1/applications/{dmn_application.pk}/",
        {"form": {"contact_name": f"Camille{NUL}"}},
        format="json",
    )
    body = assert_french_problem(nested, 400, "Les données envoyées sont invalides : Le caractère")
    assert body["errors"] == {"form": [f"{NUL_REFUSED[:-1]} (« contact_name »)."]}
    dmn_application.refresh_from_db()
    assert dmn_application.form == before
    searched = signed_in.get("/api/v1/applications/?q=a%00b")
    body = assert_french_problem(
        searched, 400, "Les données envoyées sont invalides : Le caractère"
    )
    assert list(body["errors"]) == ["q"]
    upload = BytesIO(PDF)
    upload.name = "preuve.pdf"
    written = signed_in.post(
        f"/api/v1/applications/{dmn_application.pk}/messages/",
        {"body": f"Voici{NUL}", "file": upload},
        format="multipart",
    )
    body = assert_french_problem(written, 400, "Le caractère NUL")
    assert list(body["errors"]) == ["body"]


def test_a_nul_character_in_a_page_address_is_the_french_400_page(client):
    response = client.get("/registre/?q=%00")
    assert response.status_code == 400
    assert "Le caractère NUL" in response.content.decode()


# --- Empty filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/register/", "status"),
        ("/api/v1/register/", "kind"),
        ("/api/v1/register/", "referential"),
        ("/api/v1/notifications/", "unread"),
        ("/api/v1/applications/", "status"),
        ("/api/v1/applications/", "referential"),
        ("/api/v1/referentials/DMN/1.2.2/requirements", "nature"),
        ("/api/v1/referentials/DMN/1.2.2/requirements", "section"),
        ("/api/v1/referentials/DMN/1.2.2/requirements", "pathology"),
    ],
)
def test_an_empty_filter_is_a_french_400_not_an_unfiltered_list(signed_in, dmn, path, name):
    response = signed_in.get(f"{path}?{name}=")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert list(body["errors"]) == [name]
    assert "omettez" in body["detail"]


def test_the_schema_lists_the_catalogue_s_codes_that_filters_accept(schema, dmn, tlc):
    for path in ("/api/v1/register/", "/api/v1/applications/", "/api/v1/instruction/queue"):
        assert query_parameters(schema, path)["referential"]["enum"] == ["DMN", "TLC"], path
    pathways = query_parameters(schema, "/api/v1/instruction/queue")["pathway"]["enum"]
    assert {"nom_de_marque", "teleconsultation"} <= set(pathways)


def test_the_schema_says_which_states_the_applications_filter_takes(schema, signed_in):
    import re

    pattern = query_parameters(schema, "/api/v1/applications/")["status"]["pattern"]
    assert re.search(pattern, "complete,in_instruction") and not re.search(pattern, "0")
    response = signed_in.get("/api/v1/applications/?status=0")
    assert_french_problem(response, 400, "Les données envoyées sont invalides : État inconnu")


def test_an_empty_filter_of_the_instruction_queue_is_a_french_400(api):
    api.force_authenticate(make_staff("instructeur@agence.test", Role.INSTRUCTOR))
    for name in ("state", "flag", "assignee", "referential", "pathway"):
        response = api.get(f"/api/v1/instruction/queue?{name}=")
        body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
        assert list(body["errors"]) == [name]


def test_the_schema_says_which_filters_may_be_empty(schema):
    register = query_parameters(schema, "/api/v1/register/")
    assert "" not in register["status"]["enum"]
    requirements = query_parameters(schema, "/api/v1/referentials/{code}/{version}/requirements")
    # A search for nothing finds everything; no profile is a choice (the common requirements).
    assert "minLength" not in requirements["q"] and "minLength" not in requirements["profiles"]
    assert requirements["section"]["minLength"] == 1


# --- Pages ------------------------------------------------------------------------------------


def test_the_schema_states_that_pages_start_at_1(schema):
    for path in ("/api/v1/products/", "/api/v1/register/", "/api/v1/notifications/"):
        parameters = query_parameters(schema, path)
        assert parameters["page"]["minimum"] == 1, path
        assert parameters["page_size"]["minimum"] == 1, path


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=", "page=un", "page_size=0"])
def test_a_page_below_1_or_not_a_number_is_a_french_400(signed_in, query):
    response = signed_in.get(f"/api/v1/products/?{query}")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert list(body["errors"]) == [query.split("=")[0]]
    assert "à partir de 1" in body["detail"] or "de 1 à 500" in body["detail"]


# --- Required fields --------------------------------------------------------------------------


def test_a_product_s_name_is_required_in_the_schema_as_in_practice(signed_in, schema):
    created = request_body(schema, "/api/v1/products/", "post")
    assert "name" in created["required"] and created["properties"]["name"]["minLength"] == 1
    changed = request_body(schema, "/api/v1/products/{id}/", "patch")
    assert "name" not in changed.get("required", [])
    assert changed["properties"]["name"]["minLength"] == 1
    response = signed_in.post("/api/v1/products/", {}, format="json")
    assert_french_problem(response, 400, "Les données envoyées sont invalides")


def test_a_text_s_length_is_counted_as_sent_spaces_included(signed_in, schema):
    limit = request_body(schema, "/api/v1/products/", "post")["properties"]["name"]["maxLength"]
    response = signed_in.post("/api/v1/products/", {"name": " " + "x" * limit}, format="json")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert body["errors"] == {"name": [f"Saisissez au plus {limit} caractères."]}


# --- Closed objects ---------------------------------------------------------------------------


def test_the_profile_check_schema_names_the_answers_it_accepts(schema):
    answers = request_body(schema, "/api/v1/referentials/{code}/{version}/profile-check", "post")[
        "properties"
    ]["answers"]
    assert answers["additionalProperties"] is False
    assert {"deployment", "hds_host", "patient_access"} <= set(answers["properties"])
    assert answers["properties"]["patient_access"]["type"] == "boolean"


def test_an_answer_the_questionnaire_does_not_know_is_refused(api, tlc):
    response = api.post(
        "/api/v1/referentials/TLC/1.4.2/profile-check",
        {"answers": {"inconnue": True}},
        format="json",
    )
    assert_french_problem(response, 400, "Clé de réponse inconnue « inconnue »")


# --- Form texts -------------------------------------------------------------------------------


def pdf(name="preuve.pdf") -> BytesIO:
    upload = BytesIO(PDF)
    upload.name = name
    return upload


@pytest.mark.parametrize(
    "texts, field",
    [
        ({"names_version": ""}, "names_version"),
        ({"produced_on": ""}, "produced_on"),
        ({"produced_on": "hier"}, "produced_on"),
    ],
)
def test_an_upload_s_texts_are_checked_as_the_schema_says(signed_in, dmn_application, texts, field):
    url = f"/api/v1/applications/{dmn_application.pk}/documents/functional_documentation/files"
    before = dmn_application.documents.count()
    response = signed_in.post(url, {"file": pdf(), **texts}, format="multipart")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert list(body["errors"]) == [field]
    assert dmn_application.documents.count() == before


def test_an_empty_replaced_file_is_refused_not_read_as_none(signed_in, tlc_admissible):
    from guichet.evidence.selectors import tree

    proof = next(
        p["proof"]
        for node in tree(tlc_admissible)
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
        if not p["proof"].sensitive
    )
    url = f"/api/v1/applications/{tlc_admissible.pk}/evidence/{proof.pk}/files"
    response = signed_in.post(url, {"file": pdf(), "replaces": ""}, format="multipart")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert "fichier à remplacer" in body["errors"]["replaces"][0]


def test_a_form_boolean_is_true_or_false_as_openapi_writes_it(signed_in, dmn_application):
    from guichet.messaging.models import Message

    url = f"/api/v1/applications/{dmn_application.pk}/messages/"
    response = signed_in.post(url, {"body": "Voici", "internal": "0"}, format="multipart")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert body["errors"] == {"internal": ["Indiquez true ou false."]}
    written = signed_in.post(url, {"body": "Voici", "internal": "false"}, format="multipart")
    assert written.status_code == 201 and Message.objects.count() == 1


# --- Texts the services require ---------------------------------------------------------------


def test_texts_the_services_require_are_required_and_not_blank_in_the_schema(schema):
    components = schema["components"]["schemas"]
    registration = components["RegistrationInputRequest"]
    assert len(registration["required"]) == len(registration["properties"]) == 10
    assert all(field["minLength"] == 1 for field in registration["properties"].values())
    invitation = components["InviteRequest"]
    assert set(invitation["required"]) == {"email", "first_name", "last_name"}
    assert invitation["properties"]["email"]["format"] == "email"
    assert invitation["properties"]["first_name"]["minLength"] == 1
    for name, field in (
        ("MessageInputRequest", "body"),
        ("MessageUploadRequest", "body"),
        ("InformationRequestInputRequest", "text"),
        ("AnswerInputRequest", "text"),
        ("VersionInputRequest", "product_version"),
        ("PatchedApplicationPatchRequest", "product_version"),
    ):
        assert components[name]["properties"][field]["minLength"] == 1, name


def test_an_empty_message_is_refused_by_its_field(signed_in, dmn_application):
    url = f"/api/v1/applications/{dmn_application.pk}/messages/"
    response = signed_in.post(url, {"body": "  "}, format="json")
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert body["errors"] == {"body": ["Écrivez votre message : le texte est vide."]}


# --- Conflicts --------------------------------------------------------------------------------


def test_a_product_name_already_taken_is_a_conflict(signed_in, product):
    response = signed_in.post("/api/v1/products/", {"name": product.name}, format="json")
    body = assert_french_problem(response, 409, "Le produit n'a pas été enregistré.")
    assert body["errors"] == {"name": "Votre organisation a déjà un produit de ce nom."}


def test_inviting_someone_who_already_has_an_account_is_a_conflict(signed_in, member):
    response = signed_in.post(
        "/api/v1/organisation/members/",
        {"email": member.email, "first_name": "Camille", "last_name": "Martin"},
        format="json",
    )
    body = assert_french_problem(response, 409, "L'invitation n'a pas été envoyée.")
    assert body["errors"] == {"email": "Cette personne est déjà membre de l'organisation."}


# --- Lengths ----------------------------------------------------------------------------------


def test_an_invited_address_is_as_long_as_the_username_column_at_most(signed_in, schema):
    """The account's username is its address: a longer one was a 500 on PostgreSQL."""
    from guichet.accounts.models import User

    limit = User._meta.get_field("username").max_length
    invite = request_body(schema, "/api/v1/organisation/members/", "post")
    assert invite["properties"]["email"]["maxLength"] == limit
    email = "0@" + ".".join(["a" * 60] * 3) + ".fr"  # valid, 187 characters
    response = signed_in.post(
        "/api/v1/organisation/members/",
        {"email": email, "first_name": "Camille", "last_name": "Martin"},
        format="json",
    )
    body = assert_french_problem(response, 400, "Les données envoyées sont invalides")
    assert body["errors"] == {"email": [f"Saisissez au plus {limit} caractères."]}
    assert not User.objects.filter(first_name="Camille", last_name="Martin").exists()
