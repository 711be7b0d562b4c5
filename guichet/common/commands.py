from django.core.management.base import BaseCommand


class VersionArgumentCommand(BaseCommand):
    """A command whose `--version` names a referential version, not Django's own version."""

    suppressed_base_arguments = {"--version"}

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)
