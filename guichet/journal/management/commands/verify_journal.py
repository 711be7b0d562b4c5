import time

from django.core.management.base import BaseCommand, CommandError

from guichet.journal.models import JournalEntry
from guichet.journal.services import verify_chain


class Command(BaseCommand):
    help = (
        "Vérifie la chaîne d'empreintes du journal d'audit ; sortie non nulle si elle est rompue."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        broken = verify_chain()
        elapsed = time.perf_counter() - started
        if broken is not None:
            raise CommandError(f"Journal rompu à l'entrée n° {broken.entry_id} : {broken.reason}.")
        count = JournalEntry.objects.count()
        self.stdout.write(
            self.style.SUCCESS(f"Journal intègre : {count} entrées vérifiées en {elapsed:.2f} s.")
        )
