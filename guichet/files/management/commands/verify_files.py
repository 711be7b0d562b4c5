from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.timesince import timesince

from guichet.common.text import ngettext
from guichet.files.maintenance import orphan_objects
from guichet.files.verification import verify_all_files


class Command(BaseCommand):
    help = (
        "Revérifie l'empreinte SHA-256 de chaque fichier déposé (lu une fois, en flux) ; "
        "inscrit chaque échec au journal, prévient les administrateurs de l'agence par courriel "
        "et sort en erreur si un fichier ne correspond plus à son dépôt. Liste aussi les objets "
        "stockés sans ligne en base (dépôts interrompus), que la purge périodique supprime."
    )

    def handle(self, *args, **options):
        report = verify_all_files()
        self._list_orphans()
        for stored, problem in report.failures:
            self.stderr.write(f"« {stored.original_name} » ({stored.pk}) : {problem.reason}")
        if report.failures:
            raise CommandError(
                f"{report.summary()} Les administrateurs de l'agence sont prévenus ; le journal "
                "détaille chaque échec (file.integrity_failure)."
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _list_orphans(self) -> None:
        """An upload cut short leaves an object without its row: not a failure of a deposited
        file (nothing was recorded), listed for the operator; the periodic purge removes it
        after the grace period."""
        orphans = orphan_objects()
        if not orphans:
            return
        now = timezone.now()
        self.stdout.write(
            ngettext(
                "%(n)d objet stocké sans ligne en base (dépôt interrompu) :",
                "%(n)d objets stockés sans ligne en base (dépôts interrompus) :",
                len(orphans),
            )
            % {"n": len(orphans)}
        )
        for item in orphans:
            self.stdout.write(
                f"  {item.name} ({filesizeformat(item.size)}, écrit il y a "
                f"{timesince(item.modified_at, now)})"
            )
        self.stdout.write(
            f"La purge périodique les supprime {settings.GUICHET_UPLOAD_GRACE_HOURS:g} h après "
            "leur écriture (python manage.py purge_files)."
        )
