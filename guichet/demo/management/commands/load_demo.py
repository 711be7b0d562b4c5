from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.demo.accounts import demo_totp_secret, ensure_demo_terms, ensure_demo_users
from guichet.referentials.services import load_catalogue


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent) et affiche les identifiants."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Les données de démonstration ne se chargent pas en production.")
        for version in load_catalogue():
            self.stdout.write(f"Référentiel {version.label} chargé.")
        logins = ensure_demo_users()
        ensure_demo_terms()
        from guichet.demo.applications import ensure_demo_applications
        from guichet.demo.certificates import ensure_demo_certificates
        from guichet.demo.committee import ensure_demo_committee
        from guichet.demo.instruction import ensure_demo_instruction
        from guichet.demo.messaging import ensure_demo_messages

        demo = [
            *ensure_demo_applications(),
            *ensure_demo_instruction(),
            *ensure_demo_certificates(),
            *ensure_demo_committee(),
            *ensure_demo_messages(),
        ]
        for line in demo:
            self.stdout.write(f"Candidature de démonstration : {line}")
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Comptes de démonstration (identifiant, mot de passe, rôle) :")
        )
        for email, password, role in logins:
            self.stdout.write(f"  {email:<38} {password}   {role}")
        self.stdout.write(
            "Les comptes de l'agence ont la double authentification : ajoutez dans votre "
            f"application TOTP la clé {demo_totp_secret()} (ou : python manage.py demo_totp)."
        )
        self.stdout.write("")
