import datetime as dt

from django.core.management.base import CommandError

from guichet.common.commands import VersionArgumentCommand
from guichet.common.errors import ApplicationError
from guichet.referentials.models import VersionState
from guichet.referentials.services import apply_import, plan_import, refusal_text
from guichet.referentials.spreadsheet import SpreadsheetError


class Command(VersionArgumentCommand):
    help = "Importe le tableur des exigences de l'agence (feuille « Exigences ») dans une nouvelle version."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier .xlsx")
        parser.add_argument("--referential", required=True, help="Code du référentiel (DMN, TLC…)")
        parser.add_argument(
            "--version", required=True, dest="number", help="Numéro de version, ex. 1.2.3"
        )
        parser.add_argument(
            "--draft", action="store_true", help="Créer la version en brouillon (non publiée)"
        )
        parser.add_argument("--entry-into-force", help="Date d'entrée en vigueur (AAAA-MM-JJ)")

    def handle(self, *args, file, referential, number, draft, entry_into_force, **options):
        date = None
        if entry_into_force:
            try:
                date = dt.date.fromisoformat(entry_into_force)
            except ValueError:
                raise CommandError(
                    f"Date d'entrée en vigueur invalide « {entry_into_force} » (attendu AAAA-MM-JJ)."
                ) from None
        try:
            plan = plan_import(file, referential_code=referential, number=number)
            version = apply_import(
                plan,
                state=VersionState.DRAFT if draft else VersionState.PUBLISHED,
                entry_into_force=date,
                source=str(file),
            )
        except FileNotFoundError:
            raise CommandError(f"Fichier introuvable : {file}") from None
        except OSError as exc:
            raise CommandError(f"Fichier illisible : {file} ({exc.strerror}).") from None
        except (SpreadsheetError, ApplicationError) as exc:
            raise CommandError(refusal_text(exc)) from None
        counts = plan.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Version {version.label} importée ({version.get_state_display().lower()}) : "
                f"{counts['sections']} sections, {counts['requirements']} exigences, "
                f"{counts['scenarios']} scénarios, {counts['proofs']} preuves attendues, "
                f"{counts['profiles']} profils dont {counts['new_profiles']} nouveaux."
            )
        )
