from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guichet.backups.services import DEFAULT_TIMEOUT, BackupError, BackupFailure, backup


class Command(BaseCommand):
    help = (
        "Écrit dans le dossier DEST (absent ou vide) une copie cohérente de la plateforme : la "
        "base de données (sauvegarde en ligne de SQLite, ou pg_dump -Fc), chaque fichier "
        "déposé qu'elle référence, les points de contrôle du journal, et manifest.json avec "
        "l'empreinte SHA-256 de chaque partie. Se lance pendant que le service tourne."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, metavar="DEST")
        parser.add_argument(
            "--timeout",
            type=int,
            default=DEFAULT_TIMEOUT,
            help=f"secondes laissées à pg_dump (défaut : {DEFAULT_TIMEOUT})",
        )

    def handle(self, *args, destination: Path, timeout: int, **options):
        if timeout <= 0:
            raise CommandError("--timeout : un nombre de secondes positif.", returncode=2)
        try:
            report = backup(destination, timeout=timeout)
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from error
        except BackupFailure as error:
            raise CommandError(
                f"{error} La sauvegarde incomplète de {destination} n'a pas de manifeste : "
                "elle ne peut pas être restaurée ; supprimez-la."
            ) from error
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Attention : {warning}"))
        self.stdout.write(self.style.SUCCESS(report.summary()))
