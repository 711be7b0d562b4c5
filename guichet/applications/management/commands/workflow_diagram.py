from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from guichet.applications.models import Status
from guichet.applications.workflow import WORKFLOW
from guichet.common.diagram import mermaid

TARGET = Path(settings.BASE_DIR) / "docs" / "workflow-candidature.md"


def application_diagram() -> str:
    return mermaid(WORKFLOW, initial=Status.DRAFT, title="Le cycle de vie d'une candidature")


class Command(BaseCommand):
    help = "Écrit le diagramme d'états de la candidature dans docs/, depuis la déclaration."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Sortie non nulle si docs/ diffère"
        )

    def handle(self, *args, check, **options):
        text = application_diagram()
        if check:
            if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
                self.stderr.write(f"{TARGET} n'est pas à jour : lancez workflow_diagram.")
                raise SystemExit(1)
            self.stdout.write("Le diagramme de docs/ est à jour.")
            return
        TARGET.write_text(text, encoding="utf-8")
        self.stdout.write(f"Diagramme écrit : {TARGET}")
