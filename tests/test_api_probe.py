# ruff: noqa: F811 (the world fixture imported from tests.api_world)
"""The schema tells the truth about inputs (issue 20 §1): the schemathesis CLI, every check on
(`--checks all`), against the application served by a live server, once with an applicant's
token and once with an instructor's (obtained with TOTP), each phase bounded (`make probe`,
after the suite: a few minutes). Its path parameters point at the objects of the world that
tests/test_api_schema.py checks in-process; its output is kept in var/probe/."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guichet.accounts.models import Role
from tests.api_world import api_token, path_parameters, world  # noqa: F401
from tests.conftest import make_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.probe

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
EXAMPLES = os.environ.get("GUICHET_PROBE_EXAMPLES", "5")  # per operation and phase
REPORTS = Path("var/probe")
STATIC = Path(__file__).with_name("api_probe.toml")


def configuration(schema: dict, objects: dict, *, token: str, revoked_token: str) -> str:
    """schemathesis.toml: tests/api_probe.toml (what each operation's checks expect), the
    run's token, and the world's objects as path parameters."""
    lines = [f'headers = {{ Authorization = "Token {token}" }}', "", STATIC.read_text()]
    for path, methods in schema["paths"].items():
        names = {
            parameter["name"]
            for operation in methods.values()
            for parameter in operation.get("parameters", ())
            if parameter["in"] == "path"
        }
        values = path_parameters(path, names, objects) if names else {}
        if values:
            parameters = ", ".join(f'"path.{name}" = {json.dumps(v)}' for name, v in values.items())
            lines += ["[[operations]]", f"include-path = {json.dumps(path)}"]
            lines += [f"parameters = {{ {parameters} }}", ""]
    # Revoking the run's token would end its authentication (one token per account): that
    # operation revokes the token of another account of the same role.
    lines += [
        "[[operations]]",
        'include-name = "DELETE /api/v1/auth/token"',
        f'headers = {{ Authorization = "Token {revoked_token}" }}',
        "",
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["applicant", "instructor"])
def test_schemathesis_with_every_check_finds_nothing(
    live_server, world, api, journal_rows_removed, role, tmp_path
):
    user = world[role]
    if role == "applicant":
        other = UserFactory(email="autre.resp@telesante.fr", organisation=user.organisation)
    else:
        other = make_staff("autre.instructeur@agence.test", Role.INSTRUCTOR)
    schema = api.get("/api/v1/schema/?format=json").json()
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        configuration(
            schema, world, token=api_token(api, user), revoked_token=api_token(api, other)
        )
    )
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{live_server.url}/api/v1/schema/?format=json",
        "--checks",
        "all",
        "--max-examples",
        EXAMPLES,
        "--generation-deterministic",
        "--workers",
        "1",
    ]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=900)
    output = f"{run.stdout}{run.stderr}\n({role} : {time.monotonic() - started:.0f} s)\n"
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{role}.txt").write_text(output)
    assert run.returncode == 0, output
