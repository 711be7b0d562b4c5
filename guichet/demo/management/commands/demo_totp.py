from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.demo.accounts import demo_totp_secret


class Command(BaseCommand):
    help = "Affiche le code TOTP courant des comptes de démonstration de l'agence."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Réservé aux données de démonstration.")
        import time

        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        counter = int(time.time()) // 30
        self.stdout.write(format_hotp_value(hotp_value(demo_totp_secret(), counter)))
