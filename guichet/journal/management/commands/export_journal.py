import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guichet.journal import checkpoints, exports


class Command(BaseCommand):
    help = (
        "Exporte le journal d'audit (tout, ou une candidature) en CSV ou JSON sur la sortie "
        "standard ; avec --checkpoints, écrit aussi ses points de contrôle scellés dans un "
        "fichier .zip ou .json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(exports.FORMATS), default="csv")
        parser.add_argument("--application", help="Identifiant d'une candidature")
        parser.add_argument(
            "--checkpoints",
            dest="checkpoints_file",
            type=Path,
            metavar="FICHIER",
            help="Fichier (.zip ou .json) où écrire les points de contrôle et leurs signatures",
        )

    def handle(self, *args, format, application, checkpoints_file, **options):
        if checkpoints_file is not None:
            write_checkpoints(checkpoints_file)
        for chunk in exports.chunks(format, exports.rows(exports.entries(application))):
            self.stdout.write(chunk, ending="")


def write_checkpoints(target: Path) -> None:
    """Streamed into a temporary file beside the target, renamed into place when complete."""
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in checkpoints.FORMATS:
        raise CommandError("--checkpoints : le fichier doit finir par .zip ou .json.")
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with open(temporary, "wb") as handle:
            for chunk in checkpoints.chunks(fmt):
                handle.write(chunk)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CommandError(f"--checkpoints : écriture impossible ({error}).") from error
