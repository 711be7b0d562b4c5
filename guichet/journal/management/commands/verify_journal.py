import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guichet.journal.services import verify_journal


class Command(BaseCommand):
    help = (
        "Vérifie la chaîne d'empreintes du journal d'audit et sa conformité à chaque point de "
        "contrôle scellé ; sortie non nulle si la chaîne est rompue, si des entrées attestées "
        "ont disparu ou été réécrites, ou si un point de contrôle est falsifié."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint-dir",
            type=Path,
            help="Points de contrôle lus ailleurs que dans GUICHET_JOURNAL_CHECKPOINT_DIR "
            "(une copie tirée du stockage en écriture unique)",
        )

    def handle(self, *args, checkpoint_dir, **options):
        if checkpoint_dir is not None and not checkpoint_dir.is_dir():
            raise CommandError(f"Dossier de points de contrôle introuvable : {checkpoint_dir}.")
        started = time.perf_counter()
        result = verify_journal(folder=checkpoint_dir)
        elapsed = time.perf_counter() - started
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Attention : {warning}"))
        if not result.is_intact:
            raise CommandError(
                "Journal non conforme :\n" + "\n".join(f"- {error}" for error in result.errors)
            )
        self.stdout.write(self.style.SUCCESS(f"{result.summary()} ({elapsed:.2f} s)"))
