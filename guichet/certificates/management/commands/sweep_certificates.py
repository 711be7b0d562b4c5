from django.core.management.base import CommandError

from guichet.certificates.sweep import sweep
from guichet.common.commands import DayOptionCommand
from guichet.common.text import ngettext


class Command(DayOptionCommand):
    help = (
        "Balaye les certificats en cours (valides ou suspendus) : reconduit tacitement ceux "
        "dont la période de validité s'achève, expire ceux dont la non-reconduction a été "
        "notifiée et les certificats exceptionnels arrivés à leur date de fin, applique les "
        "retraits notifiés à effet différé, et signale à l'agence les mises en demeure échues "
        "et les délais de nouveau certificat dépassés. Rattrape les jours manqués ; sans effet "
        "s'il est relancé le même jour."
    )

    def add_arguments(self, parser):
        self.add_today_argument(parser)

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
