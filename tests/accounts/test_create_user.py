"""The operators' create_user command (R-ACT-2: one Responsable habilité per company)."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, hotp_value, yield_hotp_counters_from_time
from django.core.management import CommandError, call_command
from django.urls import reverse

from guichet.accounts.models import Organisation, RegistrationRequest, Role, User
from guichet.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_create_user_enrols_staff_with_a_working_totp_secret_printed_once():
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


def test_r_act_2_an_operator_onboards_a_company_with_its_responsible():
    out = StringIO()
    call_command(
        "create_user",
        "Resp@Telesante.fr",
        "--role",
        "applicant_admin",
        "--organisation",
        "732 829 320 00074",
        "--organisation-name",
        "  Télésanté SAS ",
        stdout=out,
    )
    user = User.objects.get(email="resp@telesante.fr")
    assert user.role == Role.APPLICANT_ADMIN
    assert (user.organisation.name, user.organisation.siren) == ("Télésanté SAS", "732829320")
    assert user.organisation.vat_number is None
    created = JournalEntry.objects.get(action="organisation.create")
    assert created.after == {"name": "Télésanté SAS", "siren": "732829320", "vat_number": None}
    assert JournalEntry.objects.get(action="user.create").after["organisation"] == (
        user.organisation.pk
    )
    # A foreign company is known by its VAT number.
    call_command(
        "create_user",
        "resp@example.de",
        "--role",
        "applicant_admin",
        "--organisation",
        "DE136695976",
        "--organisation-name",
        "Gesundheit GmbH",
        stdout=StringIO(),
    )
    assert Organisation.objects.get(vat_number="DE136695976").siren is None
    # Its members join it afterwards.
    call_command(
        "create_user",
        "membre@telesante.fr",
        "--role",
        "applicant_member",
        "--organisation",
        "732829320",
        stdout=StringIO(),
    )
    assert User.objects.get(email="membre@telesante.fr").organisation == user.organisation


@pytest.fixture
def represented(db):
    organisation = Organisation.objects.create(name="Déjà là", siren="552100554")
    User.objects.create_user(
        email="resp@deja.fr", role=Role.APPLICANT_ADMIN, organisation=organisation
    )
    return organisation


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--role", "applicant_admin"], "--organisation SIREN"),
        (
            ["--role", "applicant_admin", "--organisation", "443061841"],
            "ajoutez --organisation-name",
        ),
        (
            [
                "--role",
                "applicant_admin",
                "--organisation",
                "443061842",
                "--organisation-name",
                "X",
            ],
            "clé de contrôle",
        ),
        (
            [
                "--role",
                "applicant_admin",
                "--organisation",
                "552100554",
                "--organisation-name",
                "X",
            ],
            "existe déjà",
        ),
        (
            ["--role", "applicant_admin", "--organisation", "55210055400021"],
            "déjà un Responsable habilité",
        ),
        (
            [
                "--role",
                "applicant_member",
                "--organisation",
                "443061841",
                "--organisation-name",
                "X",
            ],
            "se crée avec son Responsable habilité",
        ),
        (
            [
                "--role",
                "applicant_admin",
                "--organisation",
                "443061841",
                "--organisation-name",
                " ",
            ],
            "Indiquez la raison sociale",
        ),
        (
            [
                "--role",
                "applicant_admin",
                "--organisation",
                "443061841",
                "--organisation-name",
                "x" * 256,
            ],
            "255 caractères au plus",
        ),
        (["--role", "support", "--organisation-name", "X"], "aucune organisation"),
    ],
)
def test_create_user_refusals_change_nothing(represented, arguments, message):
    before = (Organisation.objects.count(), User.objects.count(), JournalEntry.objects.count())
    with pytest.raises(CommandError, match=message):
        call_command("create_user", "nouveau@entreprise.fr", *arguments)
    after = (Organisation.objects.count(), User.objects.count(), JournalEntry.objects.count())
    assert after == before


def test_r_act_2_no_organisation_is_created_beside_a_request_awaiting_the_agency(
    client,
):
    client.post(
        reverse("accounts:registration"),
        {
            "company_name": "Demandeur",
            "company_id": "443061841",
            "responsible_first_name": "Alex",
            "responsible_last_name": "Petit",
            "responsible_email": "alex@demandeur.fr",
            "responsible_phone": "01 23 45 67 89",
            "legal_rep_first_name": "Sam",
            "legal_rep_last_name": "Grand",
            "legal_rep_email": "sam@demandeur.fr",
            "legal_rep_phone": "01 23 45 67 88",
        },
    )
    assert RegistrationRequest.objects.filter(status="pending").exists()
    with pytest.raises(CommandError, match="attend la décision de l'agence"):
        call_command(
            "create_user",
            "autre@demandeur.fr",
            "--role",
            "applicant_admin",
            "--organisation",
            "44306184100005",
            "--organisation-name",
            "Demandeur",
        )
    assert not Organisation.objects.exists()


def test_create_user_refusals_exit_non_zero_with_the_french_message(capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(
            ["manage.py", "create_user", "a@b.fr", "--role", "applicant_admin"]
        ).execute()
    assert exit_.value.code == 1
    assert "Un demandeur appartient à une organisation" in capsys.readouterr().err
