import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from guichet.certificates.sweep import sweep
from guichet.common.text import ngettext


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"Date « {value} » illisible : indiquez-la au format AAAA-MM-JJ (ex. 2032-01-10)."
        ) from None


class Command(BaseCommand):
    help = (
        "Balaye les certificats en cours (valides ou suspendus) : reconduit tacitement ceux "
        "dont la période de validité s'achève, expire ceux dont la non-reconduction a été "
        "notifiée et les certificats exceptionnels arrivés à leur date de fin, applique les "
        "retraits notifiés à effet différé, et signale à l'agence les mises en demeure échues "
        "et les délais de nouveau certificat dépassés. Rattrape les jours manqués ; sans effet "
        "s'il est relancé le même jour."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=_day,
            help="Jour du balayage, AAAA-MM-JJ (par défaut aujourd'hui, heure de Paris)",
        )

    def handle(self, *args, today=None, **options):
        report = sweep(today=today)
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(
                f"{report.summary()} "
                + ngettext(
                    "%(n)d certificat en erreur, détaillé ci-dessus : ",
                    "%(n)d certificats en erreur, détaillés ci-dessus : ",
                    len(report.problems),
                )
                % {"n": len(report.problems)}
                + "les autres sont balayés ; corrigez puis relancez la commande."
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
