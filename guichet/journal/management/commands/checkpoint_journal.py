from django.core.management.base import BaseCommand, CommandError

from guichet.common.errors import ApplicationError
from guichet.journal.checkpoints import location
from guichet.journal.services import create_checkpoint


class Command(BaseCommand):
    help = (
        "Crée un point de contrôle scellé du journal d'audit (nombre d'entrées, dernière "
        "entrée, son empreinte), signé par le certificat de l'agence, dans "
        "GUICHET_JOURNAL_CHECKPOINT_DIR (ou, avec GUICHET_STORAGE=s3, dans le compartiment "
        "verrouillé GUICHET_JOURNAL_CHECKPOINT_BUCKET)."
    )

    def handle(self, *args, **options):
        try:
            checkpoint = create_checkpoint(by="commande checkpoint_journal")
        except ApplicationError as error:
            raise CommandError(error.message) from error
        if checkpoint is None:
            self.stdout.write("Journal vide : aucun point de contrôle à créer.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Point de contrôle du {checkpoint.when} : {checkpoint.entry_count} entrées "
                f"jusqu'à l'entrée n° {checkpoint.last_entry_id} — "
                f"{location().rstrip('/')}/{checkpoint.name} (+ .p7s)."
            )
        )
