from pathlib import Path

from django.core.management.base import BaseCommand

from guichet.backups.commands import add_timeout, run_step
from guichet.backups.services import backup


class Command(BaseCommand):
    help = (
        "Écrit dans le dossier DEST (absent ou vide) une copie cohérente de la plateforme : la "
        "base de données (sauvegarde en ligne de SQLite, ou pg_dump -Fc), chaque fichier "
        "déposé qu'elle référence, les points de contrôle du journal, et manifest.json avec "
        "l'empreinte SHA-256 de chaque partie. Se lance pendant que le service tourne."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, metavar="DEST")
        add_timeout(parser, "pg_dump")

    def handle(self, *args, destination: Path, timeout: int, **options):
        report = run_step(
            backup,
            destination,
            timeout,
            when_cut_short=f"La sauvegarde incomplète de {destination} n'a pas de manifeste : "
            "elle ne peut pas être restaurée ; supprimez-la.",
        )
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Attention : {warning}"))
        self.stdout.write(self.style.SUCCESS(report.summary()))
