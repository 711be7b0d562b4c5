from django.core.management.base import CommandError

from guichet.common.commands import DayOptionCommand
from guichet.common.text import ngettext
from guichet.instruction.clockstate import sweep


class Command(DayOptionCommand):
    help = (
        "Balaye les délais des dossiers ouverts (du dossier complet à la fin de l'instruction) "
        "dont le délai peut changer ce jour-là (--all : tous) : met à jour l'état de leur délai, envoie les relances des demandes "
        "d'information sans réponse (10 et 20 jours), prévient les instructeurs quand "
        "l'archivage devient possible (30 jours) ou qu'un dossier n'a pas évolué depuis 6 mois, "
        "enregistre les abandons (pièces manquantes non reçues à temps) et les acceptations "
        "tacites (TLC). Sans effet s'il est relancé le même jour."
    )

    def add_arguments(self, parser):
        self.add_today_argument(parser)
        parser.add_argument(
            "--all",
            action="store_true",
            dest="every",
            help="Recalculer le délai de chaque dossier ouvert, pas seulement de ceux qui "
            "peuvent changer ce jour-là",
        )

    def handle(self, *args, today=None, every=False, **options):
        report = sweep(today=today, every=every)
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(
                f"{report.summary()} "
                + ngettext(
                    "%(n)d dossier en erreur, détaillé ci-dessus : ",
                    "%(n)d dossiers en erreur, détaillés ci-dessus : ",
                    len(report.problems),
                )
                % {"n": len(report.problems)}
                + "les autres sont balayés ; corrigez puis relancez la commande."
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
