import os
import time

from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules

from guichet.common.periodic import enqueue_due, registered


class Command(BaseCommand):
    help = (
        "Met en file les tâches périodiques arrivées à échéance (balayage des délais, "
        "points de contrôle du journal…) ; avec --loop, recommence toutes les --interval secondes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Tourner sans s'arrêter")
        parser.add_argument(
            "--interval",
            type=float,
            default=float(os.environ.get("GUICHET_SCHEDULER_INTERVAL", 60)),
            help="Secondes entre deux passages (défaut : GUICHET_SCHEDULER_INTERVAL, sinon 60)",
        )
        parser.add_argument("--list", action="store_true", help="Lister les tâches et leur période")

    def handle(self, *args, loop, interval, list, **options):
        autodiscover_modules("tasks")
        if list:
            for entry in registered():
                self.stdout.write(f"{entry.name} — {entry.label} — toutes les {entry.period}")
            return
        while True:
            for entry in enqueue_due():
                self.stdout.write(f"Mise en file : {entry.label} ({entry.name})")
            if not loop:
                return
            time.sleep(interval)
