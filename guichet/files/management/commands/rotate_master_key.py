from django.core.management.base import BaseCommand, CommandError

from guichet.common.text import ngettext
from guichet.files import crypto
from guichet.files.rotation import BATCH, census, rotate_master_key


class Command(BaseCommand):
    help = (
        "Chiffre de nouveau la clé de chaque preuve sensible sous la clé maîtresse actuelle "
        "(GUICHET_MASTER_KEY), en lisant les anciennes dans GUICHET_MASTER_PREVIOUS_KEYS : par "
        "lots, reprenable après une interruption, sans lire ni réécrire les fichiers. Avec "
        "--verifier, dit seulement combien de clés dépendent encore d'une ancienne clé."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--lot", type=int, default=BATCH, help=f"clés par transaction (défaut : {BATCH})"
        )
        parser.add_argument(
            "--verifier",
            action="store_true",
            help="ne rien changer : compter les clés sous la clé actuelle et sous les anciennes",
        )

    def handle(self, *args, lot, verifier, **options):
        if lot <= 0:
            raise CommandError("--lot : un nombre de clés positif.", returncode=2)
        current = crypto.key_id(crypto.master_key())
        previous = [crypto.key_id(key) for key in crypto.previous_master_keys()]
        self.stdout.write(
            f"Clé maîtresse actuelle : {current} ; anciennes : {', '.join(previous) or 'aucune'}."
        )
        if verifier:
            found = census()
            self.stdout.write(
                f"{found.current} sous la clé actuelle, {found.previous} sous une ancienne, "
                f"{len(found.unreadable)} illisibles."
            )
            if found.previous or found.unreadable:
                raise CommandError(
                    "Rotation inachevée : relancez python manage.py rotate_master_key avant de "
                    "retirer les anciennes clés."
                    if not found.unreadable
                    else "Des clés ne s'ouvrent avec aucune clé maîtresse configurée : "
                    + ", ".join(found.unreadable[:20])
                )
            return

        def progress(rotation, total):
            self.stdout.write(f"  lot {rotation.batches} : {rotation.seen}/{total} clés vues")

        rotation = rotate_master_key(batch_size=lot, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "%(n)d clé chiffrée de nouveau",
                    "%(n)d clés chiffrées de nouveau",
                    rotation.rewrapped,
                )
                % {"n": rotation.rewrapped}
                + f", {rotation.already} déjà sous la clé actuelle."
            )
        )
        if rotation.unreadable:
            raise CommandError(
                ngettext(
                    "%(n)d clé ne s'ouvre avec aucune clé maîtresse configurée",
                    "%(n)d clés ne s'ouvrent avec aucune clé maîtresse configurée",
                    len(rotation.unreadable),
                )
                % {"n": len(rotation.unreadable)}
                + " (fichiers : "
                + ", ".join(rotation.unreadable[:20])
                + ") : ajoutez l'ancienne clé à GUICHET_MASTER_PREVIOUS_KEYS et relancez."
            )
