from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from guichet.accounts.identifiers import IdentifierError, parse_company_id
from guichet.accounts.models import AGENCY_ROLES, Organisation, Role, User
from guichet.journal.services import record


class Command(BaseCommand):
    help = (
        "Crée un utilisateur (opérateurs) : rôle, organisation, mot de passe, second facteur TOTP."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--organisation", help="SIREN (ou TVA) de l'organisation du demandeur")
        parser.add_argument("--password", help="Mot de passe ; sans lui, le compte n'en a pas")
        parser.add_argument(
            "--totp",
            action="store_true",
            help="Enrôle un second facteur TOTP et affiche son secret une fois",
        )

    @transaction.atomic
    def handle(self, *args, email, role, organisation, password, totp, **options):
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Adresse électronique invalide : {email}") from None
        if User.objects.filter(email=email).exists():
            raise CommandError(f"Un compte existe déjà pour {email}.")
        org = None
        if role in {Role.APPLICANT_ADMIN, Role.APPLICANT_MEMBER}:
            if not organisation:
                raise CommandError(
                    "Un demandeur appartient à une organisation : --organisation SIREN."
                )
            try:
                company = parse_company_id(organisation)
            except IdentifierError as exc:
                raise CommandError(str(exc)) from None
            org = (
                Organisation.objects.filter(siren=company.siren).first()
                if company.siren
                else Organisation.objects.filter(vat_number=company.value).first()
            )
            if org is None:
                raise CommandError(f"Aucune organisation pour l'identifiant {company.value}.")
            if (
                role == Role.APPLICANT_ADMIN
                and org.members.filter(role=Role.APPLICANT_ADMIN).exists()
            ):
                raise CommandError(
                    f"{org.name} a déjà un Responsable habilité (une entreprise, un responsable)."
                )
        elif organisation:
            raise CommandError("Le personnel de l'agence n'appartient à aucune organisation.")
        user = User(email=email, role=role, organisation=org, is_staff=role in AGENCY_ROLES)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        record(action="user.create", obj=user, after={"email": email, "role": role})
        self.stdout.write(self.style.SUCCESS(f"Compte créé : {email} ({Role(role).label})."))
        if totp:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
            self.stdout.write(f"Secret TOTP (base32, affiché une seule fois) : {secret}")
