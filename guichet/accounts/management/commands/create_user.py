from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from guichet.accounts.identifiers import IdentifierError, parse_company_id
from guichet.accounts.models import AGENCY_ROLES, Organisation, Role, User
from guichet.accounts.services import company_is_represented
from guichet.common.lengths import column_length
from guichet.journal.services import record

APPLICANT_ROLES = {Role.APPLICANT_ADMIN, Role.APPLICANT_MEMBER}


class Command(BaseCommand):
    help = (
        "Crée un utilisateur (opérateurs) : rôle, organisation, mot de passe, second facteur TOTP. "
        "Avec --organisation-name, crée aussi l'organisation de son Responsable habilité."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument(
            "--organisation", help="SIREN, SIRET ou numéro de TVA de l'organisation du demandeur"
        )
        parser.add_argument(
            "--organisation-name",
            help="Raison sociale : crée l'organisation si elle n'existe pas encore "
            "(avec --role applicant_admin)",
        )
        parser.add_argument("--password", help="Mot de passe ; sans lui, le compte n'en a pas")
        parser.add_argument(
            "--totp",
            action="store_true",
            help="Enrôle un second facteur TOTP et affiche son secret une fois",
        )

    @transaction.atomic
    def handle(
        self, *args, email, role, organisation, organisation_name, password, totp, **options
    ):
        email = email.strip().lower()
        limit = column_length(User, "email")
        if len(email) > limit:
            raise CommandError(f"Adresse électronique trop longue : {limit} caractères au plus.")
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Adresse électronique invalide : {email}") from None
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"Un compte existe déjà pour {email}.")
        org = None
        if role in APPLICANT_ROLES:
            org = self._organisation(role, organisation, organisation_name)
        elif organisation or organisation_name:
            raise CommandError("Le personnel de l'agence n'appartient à aucune organisation.")
        user = User(email=email, role=role, organisation=org, is_staff=role in AGENCY_ROLES)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        record(
            action="user.create",
            obj=user,
            after={"email": email, "role": role, "organisation": org.pk if org else None},
        )
        self.stdout.write(self.style.SUCCESS(f"Compte créé : {email} ({Role(role).label})."))
        if totp:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
            self.stdout.write(f"Secret TOTP (base32, affiché une seule fois) : {secret}")

    def _organisation(self, role: str, raw_id: str | None, name: str | None) -> Organisation:
        """The applicant's organisation, found by its company id, or created with its
        Responsable habilité; a company has one Responsable habilité (R-ACT-2)."""
        if not raw_id:
            raise CommandError(
                "Un demandeur appartient à une organisation : --organisation SIREN "
                "(ou SIRET, ou numéro de TVA intracommunautaire)."
            )
        try:
            company = parse_company_id(raw_id)
        except IdentifierError as exc:
            raise CommandError(str(exc)) from None
        org = (
            Organisation.objects.filter(siren=company.siren).first()
            if company.siren
            else Organisation.objects.filter(vat_number=company.value).first()
        )
        if org is not None:
            if name is not None:
                raise CommandError(
                    f"L'organisation {company.value} existe déjà (« {org.name} ») : "
                    "retirez --organisation-name, qui ne sert qu'à en créer une."
                )
            if (
                role == Role.APPLICANT_ADMIN
                and org.members.filter(role=Role.APPLICANT_ADMIN).exists()
            ):
                raise CommandError(
                    f"{org.name} a déjà un Responsable habilité (une entreprise, un "
                    "responsable) : pour le changer, passez par le support de l'agence."
                )
            return org
        if name is None:
            raise CommandError(
                f"Aucune organisation pour l'identifiant {company.value} : pour la créer avec "
                'son Responsable habilité, ajoutez --organisation-name "Raison sociale".'
            )
        if role != Role.APPLICANT_ADMIN:
            raise CommandError(
                "Une organisation se crée avec son Responsable habilité (--role "
                "applicant_admin) ; ses membres sont ajoutés ensuite."
            )
        name = name.strip()
        limit = column_length(Organisation, "name")
        if not name:
            raise CommandError('Indiquez la raison sociale : --organisation-name "Raison sociale".')
        if len(name) > limit:
            raise CommandError(f"Raison sociale trop longue : {limit} caractères au plus.")
        if company_is_represented(company):
            # No organisation yet, so a request for this company awaits the agency's decision.
            raise CommandError(
                f"Une demande de compte pour l'entreprise {company.value} attend la décision "
                "de l'agence : validez-la ou refusez-la d'abord (page « Demandes de compte »)."
            )
        org = Organisation.objects.create(
            name=name,
            siren=company.siren or None,
            vat_number=None if company.siren else company.value,
        )
        record(
            action="organisation.create",
            obj=org,
            after={"name": org.name, "siren": org.siren, "vat_number": org.vat_number},
        )
        return org
