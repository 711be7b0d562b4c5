from pathlib import Path

from django.core.management.base import BaseCommand

from guichet.backups.commands import add_timeout, run_step
from guichet.backups.services import restore


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
        add_timeout(parser, "pg_restore")

    def handle(self, *args, source: Path, timeout: int, **options):
        report = run_step(
            restore,
            source,
            timeout,
            when_cut_short="La restauration est incomplète : recommencez sur une base et un "
            "stockage vides.",
        )
        self.stdout.write(self.style.SUCCESS(report.summary()))
