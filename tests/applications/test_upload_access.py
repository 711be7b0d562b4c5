"""Who may upload is decided before a byte of the body is read (issue 10 §1, R-ACT-1, R-EVD-2):
an anonymous, foreign or wrong-role upload is refused without the request body being read nor
anything written to the temporary folder; CSRF still protects the pages and the session API."""

import io
import os

import pytest
from django.conf import settings
from django.test import Client
from django.test.client import FakePayload, encode_multipart
from django.urls import reverse
from django.utils.crypto import get_random_string

from guichet.files.models import StoredFile
from guichet.referentials.models import ExpectedProof
from tests.conftest import make_staff
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db

BOUNDARY = "BoUnDaRyStRiNg"
BIG = PDF + b"0" * (4 * 1024 * 1024)  # several handler chunks: a read would show
CSRF_SECRET = get_random_string(32)


def browser(user=None) -> Client:
    """A browser: CSRF enforced (Django's test client skips it by default, which would hide
    that the check reads the body) and the CSRF cookie any visited page has set."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


class TrackedPayload(FakePayload):
    """The request body as the server reads it, counting what the application took."""

    def __init__(self, content):
        super().__init__(content)
        self.taken = 0

    def read(self, size=-1, /):
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size=-1, /):
        data = super().readline(size)
        self.taken += len(data)
        return data


def post_tracked(client, url, *, content=BIG, fields=None, **headers):
    handle = io.BytesIO(content)
    handle.name = "rapport.pdf"
    body = encode_multipart(BOUNDARY, {"file": handle, **(fields or {})})
    payload = TrackedPayload(body)
    response = client.generic(
        "POST",
        url,
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": payload},
        **headers,
    )
    return response, payload


def temp_files():
    tmp = settings.GUICHET_FILES_ROOT / "tmp"
    return os.listdir(tmp) if tmp.exists() else []


@pytest.fixture
def untouched():
    """Asserts that a request read nothing of its body and stored nothing."""
    stored = StoredFile.objects.count()

    def check(payload):
        assert payload.taken == 0, f"{payload.taken} bytes of the body read before the refusal"
        assert temp_files() == [] and StoredFile.objects.count() == stored

    return check


def evidence_url(application, proof_id, api=False):
    if api:
        return f"/api/v1/applications/{application.pk}/evidence/{proof_id}/files"
    return reverse("evidence:upload", args=[application.pk, proof_id])


def document_url(application, item="functional_documentation", api=False):
    if api:
        return f"/api/v1/applications/{application.pk}/documents/{item}/files"
    return reverse("applications:document-upload", args=[application.pk, item])


def a_proof(application, *, sensitive=False):
    from guichet.evidence.selectors import tree as evidence_tree

    return next(
        p["proof"]
        for node in evidence_tree(application)
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
        if p["proof"].sensitive == sensitive
    )


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sensitive", [False, True])
def test_anonymous_evidence_upload_goes_to_login_without_reading_the_body(
    tlc_admissible, untouched, sensitive
):
    url = evidence_url(tlc_admissible, a_proof(tlc_admissible, sensitive=sensitive).pk)
    response, payload = post_tracked(browser(), url)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    untouched(payload)


def test_anonymous_document_upload_goes_to_login_without_reading_the_body(
    dmn_application, untouched
):
    response, payload = post_tracked(browser(), document_url(dmn_application))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    untouched(payload)


def test_r_act_1_other_organisation_upload_page_is_404_without_reading_the_body(
    stranger, tlc_admissible, dmn_application, untouched
):
    client = browser(stranger)
    proof = a_proof(tlc_admissible)
    for url in (evidence_url(tlc_admissible, proof.pk), document_url(dmn_application)):
        response, payload = post_tracked(client, url, HTTP_X_CSRFTOKEN=CSRF_SECRET)
        assert response.status_code == 404
        untouched(payload)


def test_r_act_1_agency_user_upload_page_is_403_without_reading_the_body(
    instructor, tlc_admissible, untouched
):
    response, payload = post_tracked(
        browser(instructor), evidence_url(tlc_admissible, a_proof(tlc_admissible).pk)
    )
    assert response.status_code == 403
    untouched(payload)


def test_r_conv_1_closed_evidence_is_refused_before_the_body_is_read(
    applicant, dmn_admissible, untouched
):
    client = browser(applicant)
    url = evidence_url(dmn_admissible, a_proof(dmn_admissible).pk)
    response, payload = post_tracked(client, url, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 409 and "convention signée" in response.json()["detail"]
    untouched(payload)
    # Without JavaScript: the message comes back on the evidence page.
    response, payload = post_tracked(client, url)
    assert response.status_code == 302
    untouched(payload)
    page = client.get(response["Location"]).content.decode()
    assert "une fois la convention signée" in page


def test_r_app_5_document_no_longer_editable_is_refused_before_the_body_is_read(
    applicant, dmn_application, untouched
):
    response, payload = post_tracked(
        browser(applicant),
        document_url(dmn_application, item="no_such_document"),
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 404 and "inconnu" in response.json()["detail"]
    untouched(payload)


def test_r_evd_2_proof_of_another_version_is_refused_before_the_body_is_read(
    applicant, tlc_admissible, untouched
):
    other = ExpectedProof.objects.exclude(
        scenario__version=tlc_admissible.referential_version
    ).first()
    response, payload = post_tracked(
        browser(applicant), evidence_url(tlc_admissible, other.pk), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 404
    untouched(payload)


def test_r_evd_1_submitted_section_is_refused_before_the_body_is_read(
    api, applicant, tlc_admissible
):
    from tests.evidence.test_evidence import proofs_of, upload

    api.force_authenticate(applicant)
    _, proofs = proofs_of(api, tlc_admissible)
    section = proofs[0][0]
    for _, proof in (p for p in proofs if p[0] == section):
        assert upload(api, tlc_admissible, proof["id"]).status_code == 201
    api.post(f"/api/v1/applications/{tlc_admissible.pk}/sections/{section}/submit")
    stored = StoredFile.objects.count()
    response, payload = post_tracked(
        browser(applicant),
        evidence_url(tlc_admissible, proofs[0][1]["id"]),
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 409 and "lecture seule" in response.json()["detail"]
    assert payload.taken == 0 and temp_files() == [] and StoredFile.objects.count() == stored


def test_csrf_token_in_the_header_is_checked_before_the_body_is_read(
    applicant, tlc_admissible, untouched
):
    client = browser(applicant)
    url = evidence_url(tlc_admissible, a_proof(tlc_admissible).pk)
    forged, payload = post_tracked(
        client, url, HTTP_X_CSRFTOKEN=get_random_string(32), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert forged.status_code == 403
    untouched(payload)
    sent, payload = post_tracked(
        client, url, content=PDF, HTTP_X_CSRFTOKEN=CSRF_SECRET, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert sent.status_code == 201, sent.content
    assert StoredFile.objects.filter(original_name="rapport.pdf").count() == 1
    assert temp_files() == []


def test_csrf_foreign_origin_is_refused_before_the_body_is_read(
    applicant, tlc_admissible, untouched
):
    response, payload = post_tracked(
        browser(applicant),
        evidence_url(tlc_admissible, a_proof(tlc_admissible).pk),
        fields={"csrfmiddlewaretoken": CSRF_SECRET},
        HTTP_ORIGIN="https://malveillant.example",
    )
    assert response.status_code == 403
    untouched(payload)


def test_csrf_form_without_javascript_carries_its_token_in_the_body(applicant, tlc_admissible):
    client = browser(applicant)
    url = evidence_url(tlc_admissible, a_proof(tlc_admissible).pk)
    missing, _ = post_tracked(client, url, content=PDF)
    assert missing.status_code == 403
    assert not StoredFile.objects.filter(original_name="rapport.pdf").exists()
    assert temp_files() == []
    sent, _ = post_tracked(client, url, content=PDF, fields={"csrfmiddlewaretoken": CSRF_SECRET})
    assert sent.status_code == 302
    assert StoredFile.objects.filter(original_name="rapport.pdf").count() == 1
    assert temp_files() == []


def test_upload_script_sends_the_csrf_token_in_a_header():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    script = Path(finders.find("guichet/upload.js")).read_text(encoding="utf-8")
    assert 'setRequestHeader("X-CSRFToken"' in script


# --- API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["evidence", "document"])
def test_api_anonymous_upload_is_401_without_reading_the_body(
    tlc_admissible, dmn_application, untouched, kind
):
    url = (
        evidence_url(tlc_admissible, a_proof(tlc_admissible).pk, api=True)
        if kind == "evidence"
        else document_url(dmn_application, api=True)
    )
    response, payload = post_tracked(browser(), url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    untouched(payload)


def test_r_act_1_api_other_organisation_is_404_without_reading_the_body(
    stranger, tlc_admissible, dmn_application, untouched
):
    # By session (where DRF's own CSRF check would read the form first), asking for HTML
    # (the browsable API would read it to fill its forms), and by token.
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=stranger)
    for client, headers in (
        (browser(stranger), {"HTTP_ACCEPT": "text/html"}),
        (browser(), {"HTTP_AUTHORIZATION": f"Token {token.key}"}),
    ):
        for url in (
            evidence_url(tlc_admissible, a_proof(tlc_admissible, sensitive=True).pk, api=True),
            document_url(dmn_application, api=True),
        ):
            response, payload = post_tracked(client, url, **headers)
            assert response.status_code == 404, response.content
            assert response["Content-Type"] == "application/problem+json"
            untouched(payload)


def test_r_act_1_api_agency_user_is_403_without_reading_the_body(tlc_admissible, untouched):
    staff = make_staff("college@agence.test", "committee")
    response, payload = post_tracked(
        browser(staff), evidence_url(tlc_admissible, a_proof(tlc_admissible).pk, api=True)
    )
    assert response.status_code == 403
    untouched(payload)


def test_api_closed_evidence_is_409_without_reading_the_body(applicant, dmn_admissible, untouched):
    response, payload = post_tracked(
        browser(applicant), evidence_url(dmn_admissible, a_proof(dmn_admissible).pk, api=True)
    )
    assert response.status_code == 409 and "convention signée" in response.json()["detail"]
    untouched(payload)


def test_api_session_upload_checks_csrf_before_the_body_when_the_header_is_sent(
    applicant, tlc_admissible, untouched
):
    client = browser(applicant)
    url = evidence_url(tlc_admissible, a_proof(tlc_admissible).pk, api=True)
    forged, payload = post_tracked(client, url, HTTP_X_CSRFTOKEN=get_random_string(32))
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    untouched(payload)
    unprotected, _ = post_tracked(client, url, content=PDF)
    assert unprotected.status_code == 403
    assert not StoredFile.objects.filter(original_name="rapport.pdf").exists()
    assert temp_files() == []
    sent, _ = post_tracked(client, url, content=PDF, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert sent.status_code == 201, sent.content
    assert StoredFile.objects.filter(original_name="rapport.pdf").count() == 1


def test_api_token_upload_needs_no_csrf(applicant, tlc_admissible):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=applicant)
    response, _ = post_tracked(
        browser(),
        evidence_url(tlc_admissible, a_proof(tlc_admissible).pk, api=True),
        content=PDF,
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201, response.content
