# ruff: noqa: F811 (the world fixture imported from tests.api_world)
"""The OpenAPI schema tells the truth (issue 10 §1): schemathesis loads it from the application
itself and, for every operation, sends a few generated requests — as an applicant with a token,
and as an agency instructor with a token obtained with TOTP — against real objects (a draft
with a document, an admissible application with a proof file). Every answer must be documented
(status code and content type), match its documented schema, and never be a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

# The objects the requests reach, imported as a fixture (pytest finds it by name).
from tests.api_world import api_token, path_parameters, world  # noqa: F401

pytestmark = pytest.mark.django_db

# A file download (`*/*`, `application/pdf`, `text/csv`) is checked for its status and its
# content type like any answer; its body is bytes, which no JSON schema describes, so the schema
# conformance check has nothing to validate there (schemathesis passes it).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(params=["applicant", "instructor"])
def credentials(request, world, api):
    """A token obtained the way clients do, TOTP code included for agency staff (R-ACC-3)."""
    return {"Authorization": f"Token {api_token(api, world[request.param])}"}


def _summary(exc) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    for sub in getattr(exc, "exceptions", ()):
        lines += [line for line in str(sub).splitlines() if line.strip()][:8]
    return "\n    ".join(lines[:14])


@pytest.fixture
def connection_kept_across_requests():
    """As Django's test client does: a request that ends must not close the connection that
    holds the test's transaction (PostgreSQL would lose it)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(
    world, credentials, connection_kept_across_requests
):
    from guichet.wsgi import application

    def behind_a_server(environ, start_response):
        # A real server gives the client's address (allauth's login rate limits need it).
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return application(environ, start_response)

    api_schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", behind_a_server)
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Revoking the token ends the run's authentication: last.
    operations.sort(key=lambda operation: operation.label == "DELETE /api/v1/auth/token")
    for operation in operations:
        modes = [GenerationMode.POSITIVE]
        if len(operation.body) or len(operation.query):  # else nothing to make invalid
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            strategy = operation.as_strategy(
                mode,
                path_parameters=path_parameters(
                    operation.path, {p.name for p in operation.path_parameters}, world
                ),
                headers=credentials,
            )

            @given(case=strategy)
            # One example a mode here; `make probe` (CI) sends more, with every check.
            @settings(
                max_examples=1,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                response = case.call()
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid (no body, no query, path fixed): no negative case.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, FailureGroup) as exc:  # every operation tried, all failures shown
                failures.append(f"{operation.label} ({mode.value}): {_summary(exc)}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def test_schema_describes_paginated_lists_and_french_problems(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for path in ("/api/v1/products/", "/api/v1/applications/"):
        listed = schema["paths"][path]["get"]
        ref = listed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = components[ref.rsplit("/", 1)[-1]]
        assert {"count", "next", "previous", "results"} <= set(page["properties"])
        assert {p["name"] for p in listed["parameters"]} >= {"page", "page_size"}
        assert "404" in listed["responses"] and "400" in listed["responses"]
    created = schema["paths"]["/api/v1/products/"]["post"]["responses"]
    for status in ("400", "401", "403", "409", "413", "415"):
        problem = created[status]["content"]["application/problem+json"]["schema"]["$ref"]
        assert problem.endswith("/Problem") and created[status]["description"]
    documents = schema["paths"]["/api/v1/applications/{id}/documents/"]["get"]["responses"]
    assert documents["200"]["content"]["application/json"]["schema"]["type"] == "array"
    journal = schema["paths"]["/api/v1/applications/{id}/journal"]["get"]["responses"]["200"]
    assert set(journal["content"]) == {"application/json", "text/csv"}
    described = [
        operation
        for methods in schema["paths"].values()
        for operation in methods.values()
        if operation.get("summary")
    ]
    assert len(described) == sum(len(methods) for methods in schema["paths"].values())


def test_the_schema_reads_in_french_without_internal_references(api):
    """For the applicants' developers (issue 14 §3): no rule or issue reference, no English
    docstring as a component's description, the token scheme described in French."""
    import re

    schema = api.get("/api/v1/schema/?format=json").json()
    texts = []

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("description", "summary") and isinstance(value, str):
                    texts.append(value)
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(schema)
    assert texts
    assert not [t for t in texts if re.search(r"\bR-[A-Z]{3}-\d+\b|\bissue \d+", t)]
    english = re.compile(r"\b(the|with|what|every|caller|one application)\b", re.IGNORECASE)
    assert not [t for t in texts if english.search(t)]
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["description"].startswith("Jeton d'API")
    assert schemes["cookieAuth"]["description"].startswith("Session du site")
