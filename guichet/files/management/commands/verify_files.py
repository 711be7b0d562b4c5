from django.core.management.base import BaseCommand, CommandError

from guichet.files.verification import verify_all_files


class Command(BaseCommand):
    help = (
        "Revérifie l'empreinte SHA-256 de chaque fichier déposé (lu une fois, en flux) ; "
        "inscrit chaque échec au journal, prévient les administrateurs de l'agence par courriel "
        "et sort en erreur si un fichier ne correspond plus à son dépôt."
    )

    def handle(self, *args, **options):
        report = verify_all_files()
        for stored, problem in report.failures:
            self.stderr.write(f"« {stored.original_name} » ({stored.pk}) : {problem.reason}")
        if report.failures:
            raise CommandError(
                f"{report.summary()} Les administrateurs de l'agence sont prévenus ; le journal "
                "détaille chaque échec (file.integrity_failure)."
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
