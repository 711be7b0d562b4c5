"""Logs (issue 24 §3): « Structured JSON logs in production (one line per request with the
request id, user id, route, status, duration; one per task and periodic run), human-readable
under `make run`. No secret, password, token, TOTP code or file content in any log line: a test
greps the logs of a full journey for them. »"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.management.commands import db_worker
from rest_framework.test import APIClient

from guichet.common.periodic import enqueue_due
from guichet.monitoring.logs import JsonFormatter, RedactingFilter, TextFormatter
from tests.applications.test_documents import upload
from tests.conftest import PASSWORD, TOTP_SECRET, totp_code
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
NEW_PASSWORD = "un-nouveau-mot-de-passe-secret-42"
METRICS_TOKEN = "jeton-de-supervision-tres-secret-0123"
MARKER = b"CONTENU-CONFIDENTIEL-DU-FICHIER-7f3a9"


@pytest.fixture
def json_lines():
    """Every log record at production's levels, written as production writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("guichet.requests", "guichet.tasks")}
    root.addHandler(handler)
    old_root = root.level
    root.setLevel(logging.INFO)
    for name in levels:
        logging.getLogger(name).setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    lines.text = stream.getvalue
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_root)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_one_json_line_per_request_with_its_id_user_route_status_and_duration(
    client, applicant, json_lines
):
    client.force_login(applicant)
    response = client.get("/", HTTP_X_REQUEST_ID="demande-0123456789")
    client.get("/nulle-part/")
    requests = [line for line in json_lines() if line.get("event") == "request"]
    home, missing = requests
    assert home["request_id"] == response["X-Request-ID"] == "demande-0123456789"
    assert home["user_id"] == applicant.pk
    assert (home["method"], home["route"], home["status"]) == ("GET", "home", 200)
    assert home["duration_ms"] >= 0 and home["level"] == "INFO"
    assert home["logger"] == "guichet.requests" and home["time"].endswith("+00:00")
    assert (missing["route"], missing["status"]) == ("non-resolue", 404)
    # Django's own warning names the route, not the path.
    warning = [line for line in json_lines() if line["logger"] == "django.request"]
    assert warning and all("/nulle-part/" not in line["message"] for line in warning)


def test_one_line_per_task_and_per_periodic_run(json_lines, monkeypatch):
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    with override_settings(TASKS=DATABASE_TASKS):
        due = enqueue_due()
        call_command("run_worker", batch=True, startup_delay=False, verbosity=0)
    lines = json_lines()
    enqueued = [line for line in lines if line.get("event") == "periodic_enqueued"]
    runs = [line for line in lines if line.get("event") == "periodic_task"]
    assert {line["task"] for line in enqueued} == {entry.name for entry in due}
    assert {line["task"] for line in runs} == {entry.name for entry in due}
    assert all(
        line["task_status"] == "SUCCESSFUL" and line["duration_ms"] >= 0 and line["task_id"]
        for line in runs
    )


def test_make_run_lines_are_readable_text():
    record = logging.LogRecord(
        "guichet.tasks", logging.WARNING, __file__, 1, "Tâche %s", ("x",), None
    )
    record.request_id = "abcdef0123456789"
    text = TextFormatter().format(record)
    assert re.fullmatch(r"\d\d:\d\d:\d\d WARNING guichet.tasks \[abcdef01\] Tâche x", text)


def test_no_secret_in_the_logs_of_a_journey(
    client, applicant, agency_admin, dmn_application, json_lines, settings
):
    """Sign-in with a password, a second factor, an API token and its use, an upload, a
    password reset by its emailed link, the metrics with their token, an unknown subscription
    address: none of the secrets and none of the file's bytes reach a log line."""
    settings.GUICHET_METRICS_TOKEN = METRICS_TOKEN
    secrets = [PASSWORD, NEW_PASSWORD, METRICS_TOKEN, TOTP_SECRET, settings.SECRET_KEY]

    # The applicant signs in on the page, then through the API.
    response = client.post(
        reverse("account_login"), {"login": applicant.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    api = APIClient()
    token = api.post(
        "/api/v1/auth/token", {"email": applicant.email, "password": PASSWORD}, format="json"
    ).json()["token"]
    secrets.append(token)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/applications/").status_code == 200
    sent = upload(api, dmn_application, "functional_documentation", PDF + MARKER)
    assert sent.status_code == 201, sent.content
    api.credentials(HTTP_AUTHORIZATION="Token mauvais-jeton-0123456789abcdef")
    assert api.get("/api/v1/applications/").status_code == 401

    # The agency signs in with its second factor.
    staff = client_for_staff(agency_admin)
    code = totp_code()
    secrets.append(code)
    assert staff.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302

    # A password reset through its emailed link (the token is in the path).
    client.post(reverse("account_logout"))
    mail.outbox.clear()
    client.post(reverse("account_reset_password"), {"email": applicant.email})
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    key = path.rstrip("/").rsplit("/", 1)[1]
    secrets.append(key.split("-", 1)[1])
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    reset = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert reset.status_code == 302
    assert client.get(path, follow=True).status_code == 200  # used: refused, logged

    # The metrics, and an unknown subscription's address (a token in the path).
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").status_code == 200
    client.get("/metrics", HTTP_AUTHORIZATION="Bearer jeton-essaye-par-un-curieux-99")
    secrets.append("jeton-essaye-par-un-curieux-99")
    subscription = "abonnement-inconnu-secret-4242"
    client.get(f"/registre/abonnement/{subscription}/")
    secrets.append(subscription)

    text = json_lines.text()
    assert len([line for line in json_lines() if line.get("event") == "request"]) >= 12
    for secret in secrets:
        assert secret not in text, secret
    assert MARKER.decode() not in text
    assert "Bearer jeton" not in text


def client_for_staff(user):
    from django.test import Client

    staff = Client()
    response = staff.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    return staff


def test_the_redacting_filter_masks_what_a_message_carries_anyway(settings):
    settings.GUICHET_METRICS_TOKEN = METRICS_TOKEN
    record = logging.LogRecord(
        "tiers",
        logging.ERROR,
        __file__,
        1,
        "appel %s avec password=%s",
        (METRICS_TOKEN, "abc123"),
        None,
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "appel [masqué] avec password [masqué]"
