import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guichet.journal.services import verify_journal, verify_transitions


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
        parser.add_argument(
            "--transitions",
            action="store_true",
            help="Vérifier aussi que l'état de chaque candidature et de chaque certificat est "
            "celui de sa dernière transition, et que chaque transition a son entrée du journal "
            "(après un arrêt brutal)",
        )

    def handle(self, *args, checkpoint_dir, transitions, **options):
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
        if transitions:
            started = time.perf_counter()
            check = verify_transitions()
            elapsed = time.perf_counter() - started
            if check.errors:
                raise CommandError(
                    "États et journal non cohérents :\n"
                    + "\n".join(f"- {error}" for error in check.errors)
                )
            self.stdout.write(self.style.SUCCESS(f"{check.summary()} ({elapsed:.2f} s)"))
