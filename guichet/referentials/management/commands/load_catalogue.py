from django.core.management.base import BaseCommand

from guichet.referentials.services import load_catalogue


class Command(BaseCommand):
    help = "Charge les référentiels livrés avec Guichet (DMN V1.2.2, TLC V1.4.2) ; sans effet s'ils existent."

    def handle(self, *args, **options):
        created = load_catalogue()
        for version in created:
            self.stdout.write(f"Version {version.label} chargée.")
        if not created:
            self.stdout.write("Référentiels déjà chargés.")
