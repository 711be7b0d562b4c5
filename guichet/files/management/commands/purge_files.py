from django.conf import settings
from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from guichet.common.text import ngettext
from guichet.files.maintenance import purge_upload_leftovers


class Command(BaseCommand):
    help = (
        "Supprime ce qu'un processus interrompu a laissé parmi les fichiers : les dépôts "
        "temporaires (.part) et les objets stockés sans ligne en base, plus anciens que "
        "GUICHET_UPLOAD_GRACE_HOURS (la tâche périodique fait de même toutes les heures)."
    )

    def handle(self, *args, **options):
        purge = purge_upload_leftovers()
        found = purge.as_dict()
        hours = f"{settings.GUICHET_UPLOAD_GRACE_HOURS:g}"
        self.stdout.write(
            ngettext(
                "%(n)d dépôt temporaire supprimé (%(size)s)",
                "%(n)d dépôts temporaires supprimés (%(size)s)",
                found["temporary"],
            )
            % {"n": found["temporary"], "size": filesizeformat(found["temporary_size"])}
        )
        self.stdout.write(
            ngettext(
                "%(n)d objet sans ligne en base supprimé (%(size)s)",
                "%(n)d objets sans ligne en base supprimés (%(size)s)",
                len(purge.orphans),
            )
            % {"n": len(purge.orphans), "size": filesizeformat(found["orphans_size"])}
        )
        for item in purge.orphans:
            self.stdout.write(f"  {item.name} ({filesizeformat(item.size)})")
        self.stdout.write(f"Délai de grâce : {hours} h ; les plus récents sont gardés.")
