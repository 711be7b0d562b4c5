import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from guichet.common.text import ngettext
from guichet.referentials.services import purge_pending_imports


class Command(BaseCommand):
    help = (
        "Supprime les fichiers des imports de référentiel jamais confirmés, plus anciens que la "
        "durée de vie d'un aperçu (REFERENTIAL_IMPORT_PREVIEW_LIFETIME)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDES",
            help="Âge minimal des fichiers supprimés, en secondes (par défaut, la durée de vie "
            "d'un aperçu)",
        )

    def handle(self, *args, older_than, **options):
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than attend un nombre de secondes positif ou nul.")
        purged = purge_pending_imports(
            older_than=None if older_than is None else dt.timedelta(seconds=older_than)
        )
        self.stdout.write(
            ngettext(
                "%(n)d fichier d'import en attente supprimé.",
                "%(n)d fichiers d'import en attente supprimés.",
                purged,
            )
            % {"n": purged}
        )
