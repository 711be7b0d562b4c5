from django.core.management.base import BaseCommand

from guichet.journal import exports


class Command(BaseCommand):
    help = "Exporte le journal d'audit (tout, ou une candidature) en CSV ou JSON sur la sortie standard."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(exports.FORMATS), default="csv")
        parser.add_argument("--application", help="Identifiant d'une candidature")

    def handle(self, *args, format, application, **options):
        for chunk in exports.chunks(format, exports.entries(application)):
            self.stdout.write(chunk, ending="")
