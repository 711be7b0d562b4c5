import argparse
import datetime as dt
import re
import sys

from django.core.management.base import BaseCommand, CommandError


class VersionArgumentCommand(BaseCommand):
    """A command whose `--version` names a referential version, not Django's own version."""

    suppressed_base_arguments = {"--version"}

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)


def legal_day(value: str) -> dt.date:
    """An option's day, AAAA-MM-JJ; argparse turns the refusal into its usage error."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date « {value} » illisible : indiquez un jour qui existe, au format AAAA-MM-JJ "
            "(ex. 2032-01-10)"
        ) from None


class DayOptionCommand(BaseCommand):
    """A sweep run for a given day (`--today AAAA-MM-JJ`, issue 22 §4): an option it cannot
    read is refused as argparse refuses any bad option — exit status 2 — but in French and
    without a traceback (a type error raised as CommandError escaped Django's handling)."""

    def add_today_argument(self, parser) -> None:
        parser.add_argument(
            "--today",
            type=legal_day,
            help="Jour du balayage, AAAA-MM-JJ (par défaut aujourd'hui, heure de Paris)",
        )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str):
            # argparse's « argument --today: … » reads « option --today : … ».
            message = re.sub(r"^argument (\S+): ", r"option \1 : ", message)
            text = f"Erreur : {message}. Aide : {parser.prog} --help"
            if parser.called_from_command_line:
                sys.stderr.write(text + "\n")
                sys.exit(2)
            raise CommandError(text, returncode=2)

        parser.error = error
        return parser
