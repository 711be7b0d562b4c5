from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guichet.backups.services import DEFAULT_TIMEOUT, BackupError, BackupFailure, restore


class Command(BaseCommand):
    help = (
        "Restaure la sauvegarde du dossier SRC (écrite par « backup ») dans une base de "
        "données et un stockage vides, après avoir vérifié l'empreinte SHA-256 de chaque "
        "partie : la base d'abord, puis les fichiers déposés, puis les points de contrôle du "
        "journal. Refuse une base qui a des utilisateurs ou des candidatures, ou un stockage "
        "qui a des fichiers. Arrêtez les nœuds web, les travailleurs et les planificateurs avant."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, metavar="SRC")
        parser.add_argument(
            "--timeout",
            type=int,
            default=DEFAULT_TIMEOUT,
            help=f"secondes laissées à pg_restore (défaut : {DEFAULT_TIMEOUT})",
        )

    def handle(self, *args, source: Path, timeout: int, **options):
        if timeout <= 0:
            raise CommandError("--timeout : un nombre de secondes positif.", returncode=2)
        try:
            report = restore(source, timeout=timeout)
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from error
        except BackupFailure as error:
            raise CommandError(
                f"{error} La restauration est incomplète : recommencez sur une base et un "
                "stockage vides."
            ) from error
        self.stdout.write(self.style.SUCCESS(report.summary()))
