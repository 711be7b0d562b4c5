"""The operators' create_user command (R-ACC-3, R-ACT-2)."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, hotp_value, yield_hotp_counters_from_time
from django.core.management import CommandError, call_command

from guichet.accounts.models import Organisation, Role, User

pytestmark = pytest.mark.django_db


def test_r_acc_3_staff_user_with_totp_prints_a_working_secret_once():
    out = StringIO()
    call_command(
        "create_user",
        "Instr@Agence.test",
        "--role",
        "instructor",
        "--password",
        "motdepasse-tres-long-1",
        "--totp",
        stdout=out,
    )
    user = User.objects.get(email="instr@agence.test")
    assert user.role == Role.INSTRUCTOR and user.check_password("motdepasse-tres-long-1")
    secret = out.getvalue().split("une seule fois) : ")[1].strip()
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    code = f"{hotp_value(secret, next(yield_hotp_counters_from_time())):06d}"
    assert TOTP(authenticator).validate_code(code)


def test_r_act_2_applicant_needs_an_existing_organisation_and_one_responsible():
    with pytest.raises(CommandError, match="--organisation"):
        call_command("create_user", "a@b.fr", "--role", "applicant_admin")
    with pytest.raises(CommandError, match="Aucune organisation"):
        call_command(
            "create_user", "a@b.fr", "--role", "applicant_admin", "--organisation", "732829320"
        )
    Organisation.objects.create(name="Télésanté", siren="732829320")
    call_command(
        "create_user",
        "a@b.fr",
        "--role",
        "applicant_admin",
        "--organisation",
        "73282932000074",
        stdout=StringIO(),
    )
    with pytest.raises(CommandError, match="déjà un Responsable habilité"):
        call_command(
            "create_user", "c@b.fr", "--role", "applicant_admin", "--organisation", "732829320"
        )
    call_command(
        "create_user",
        "d@b.fr",
        "--role",
        "applicant_member",
        "--organisation",
        "732829320",
        stdout=StringIO(),
    )
    assert User.objects.get(email="d@b.fr").organisation.siren == "732829320"


def test_create_user_refuses_bad_input():
    with pytest.raises(CommandError, match="invalide"):
        call_command("create_user", "pas-une-adresse", "--role", "support")
    with pytest.raises(CommandError):
        call_command("create_user", "x@y.fr", "--role", "pape")
    call_command("create_user", "x@y.fr", "--role", "support", stdout=StringIO())
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("create_user", "x@y.fr", "--role", "support")
