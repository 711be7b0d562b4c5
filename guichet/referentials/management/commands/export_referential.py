from django.core.management.base import CommandError
from django.http import Http404

from guichet.common.commands import VersionArgumentCommand
from guichet.referentials.exports import write_version_xlsx
from guichet.referentials.selectors import get_version


class Command(VersionArgumentCommand):
    help = "Exporte une version de référentiel au format du tableur de l'agence (.xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier .xlsx à écrire")
        parser.add_argument("--referential", required=True)
        parser.add_argument("--version", required=True, dest="number")

    def handle(self, *args, file, referential, number, **options):
        try:
            version = get_version(referential, number, user=_Agency())
        except Http404:
            raise CommandError(
                f"Version {number} du référentiel {referential} introuvable."
            ) from None
        write_version_xlsx(version, file)
        self.stdout.write(self.style.SUCCESS(f"{version.label} exportée dans {file}."))


class _Agency:
    """The operator sees drafts too."""

    is_authenticated = True
    is_agency = True
