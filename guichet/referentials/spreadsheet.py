"""The agency's requirements spreadsheet (R-REF-2): reading and writing the official layout.

Sheet « Exigences », one row per conformity scenario; columns are found by their header,
whatever their order, case, accents, trailing spaces or line breaks.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from unidecode import unidecode

SHEET_NAME = "Exigences"
EXAMPLE_MARKER = "(exemple — à remplacer par l'import officiel)"
MAX_ERRORS = 50

# The canonical headers, as the export writes them.
HEADERS = {
    "profiles": "Profil",
    "section": "Section",
    "bloc": "Bloc",
    "function": "Fonction",
    "nature": "Nature de l'exigence",
    "requirement": "ID exigence",
    "statement": "Enoncé de l'exigence (DOIT) ou de la préconisation (DEVRAIT)",
    "scenario": "N° scénario",
    "scenario_text": "Scénario de conformité",
    "proof_1": "Preuve 1",
    "proof_2": "Preuve 2",
    "proof_3": "Preuve 3",
}
FIELDS = tuple(HEADERS)
PROOF_FIELDS = ("proof_1", "proof_2", "proof_3")


def normalize(text) -> str:
    """Header or label comparison key: no accents, case, punctuation runs or line breaks."""
    if text is None:
        return ""
    text = unidecode(str(text)).lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9()']+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _header_field(header: str) -> str | None:
    """Which field a normalized header names, if any."""
    if not header:
        return None
    if header.startswith("profil"):
        return "profiles"
    if header.startswith("section"):
        return "section"
    if header.startswith("bloc"):
        return "bloc"
    if header.startswith("fonction"):
        return "function"
    if header.startswith("nature"):
        return "nature"
    if header.startswith("enonce"):
        return "statement"
    match = re.fullmatch(r"preuves? (?:n(?:o|deg)? ?)?([123])", header)
    if match:
        return f"proof_{match.group(1)}"
    if "scenario" in header:
        if "conformite" in header and not re.match(
            r"(n|no|ndeg|numero|id|identifiant|ref)\b", header
        ):
            return "scenario_text"
        return "scenario"
    # Nature and statement headers also name "l'exigence": they are matched above.
    if "exigence" in header or header in {"id", "identifiant", "reference", "ref"}:
        return "requirement"
    return None


class SpreadsheetError(Exception):
    """The file cannot be imported; ``errors`` are French messages naming sheet, row, column."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ScenarioRow:
    code: str
    text: str
    proofs: list[str]
    row: int


@dataclass
class RequirementRow:
    code: str
    section: str
    bloc: str
    function: str
    nature: str
    statement: str
    is_example: bool
    profiles: list[str] = field(default_factory=list)
    scenarios: list[ScenarioRow] = field(default_factory=list)
    row: int = 0
    # The code of the generic line's technical specification (HAS1…) the requirement belongs
    # to, when the « Profil » column names one instead of profiles (R-REF-7).
    specification: str = ""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_profiles(value: str) -> list[str]:
    parts = re.split(r"[\n;]+", value)
    return [part.strip(" \t\r•-") for part in parts if part.strip(" \t\r•-")]


def parse_nature(value: str) -> str | None:
    key = normalize(value).upper()
    if key in {"DOIT", "EXIGENCE", "OBLIGATOIRE"}:
        return "DOIT"
    if key in {"DEVRAIT", "PRECONISATION", "RECOMMANDATION", "RECOMMANDE"}:
        return "DEVRAIT"
    return None


def split_example_marker(statement: str) -> tuple[str, bool]:
    if statement.startswith(EXAMPLE_MARKER):
        return statement[len(EXAMPLE_MARKER) :].strip(), True
    return statement, False


def _open_rows(source: str | Path | IO[bytes]) -> Iterator[tuple[int, tuple]]:
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(
            [
                "Le fichier n'est pas un classeur Excel (.xlsx) lisible : "
                "enregistrez-le au format .xlsx puis déposez-le à nouveau."
            ]
        ) from exc
    try:
        names = {normalize(name): name for name in workbook.sheetnames}
        sheet_name = names.get(normalize(SHEET_NAME))
        if sheet_name is None:
            raise SpreadsheetError(
                [
                    f"Le classeur ne contient pas de feuille « {SHEET_NAME} » "
                    f"(feuilles trouvées : {', '.join(workbook.sheetnames)})."
                ]
            )
        yield from enumerate(workbook[sheet_name].iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def read_requirements(source: str | Path | IO[bytes]) -> list[RequirementRow]:
    """Parse the sheet into requirements with their scenarios and proofs, or raise
    SpreadsheetError listing every problem found (row and column named)."""
    rows = _open_rows(source)
    try:
        return _parse_rows(rows)
    finally:
        rows.close()


def _parse_rows(rows) -> list[RequirementRow]:
    errors: list[str] = []
    columns: dict[str, int] | None = None
    best: dict[str, int] = {}
    requirements: dict[str, RequirementRow] = {}
    scenario_rows: dict[str, int] = {}

    def error(row: int, fieldname: str | None, message: str) -> None:
        where = f"Feuille « {SHEET_NAME} », ligne {row}"
        if fieldname is not None and columns is not None:
            letter = get_column_letter(columns[fieldname] + 1)
            where += f", colonne {letter} « {HEADERS[fieldname]} »"
        errors.append(f"{where} : {message}")

    for row_number, values in rows:
        if columns is None:
            found: dict[str, int] = {}
            for position, value in enumerate(values):
                fieldname = _header_field(normalize(value))
                if fieldname and fieldname not in found:
                    found[fieldname] = position
            if len(found) > len(best):
                best = found
            if len(found) >= 6:
                missing = [HEADERS[name] for name in FIELDS if name not in found]
                if missing:
                    raise SpreadsheetError(
                        [
                            f"Feuille « {SHEET_NAME} », ligne {row_number} (en-têtes) : "
                            f"colonne(s) manquante(s) : {', '.join('« ' + m + ' »' for m in missing)}."
                        ]
                    )
                columns = found
            elif row_number >= 20:
                break
            continue

        cells = {
            name: _cell(values[pos]) if pos < len(values) else "" for name, pos in columns.items()
        }
        if not any(cells.values()):
            continue
        code = cells["requirement"]
        scenario_code = cells["scenario"]
        if not code:
            error(
                row_number,
                "requirement",
                "scénario sans exigence : l'identifiant de l'exigence est vide.",
            )
            continue
        if not scenario_code:
            error(
                row_number, "scenario", f"le numéro de scénario de l'exigence « {code} » est vide."
            )
            continue
        if scenario_code in scenario_rows:
            error(
                row_number,
                "scenario",
                f"le scénario « {scenario_code} » est en double (déjà présent ligne "
                f"{scenario_rows[scenario_code]}).",
            )
            continue
        scenario_rows[scenario_code] = row_number
        nature = parse_nature(cells["nature"])
        if nature is None:
            error(
                row_number,
                "nature",
                f"nature inconnue « {cells['nature']} » : attendu « DOIT » ou « DEVRAIT ».",
            )
        profiles = split_profiles(cells["profiles"])
        if not profiles:
            error(row_number, "profiles", f"aucun profil pour l'exigence « {code} ».")
        if not cells["section"]:
            error(row_number, "section", f"section vide pour l'exigence « {code} ».")
        if not cells["scenario_text"]:
            error(
                row_number, "scenario_text", f"le texte du scénario « {scenario_code} » est vide."
            )
        proofs = [cells[name] for name in PROOF_FIELDS if cells.get(name)]
        if not proofs:
            error(
                row_number,
                "proof_1",
                f"le scénario « {scenario_code} » n'a aucune preuve attendue.",
            )
        statement, is_example = split_example_marker(cells["statement"])

        requirement = requirements.get(code)
        if requirement is None:
            if not statement:
                error(row_number, "statement", f"l'énoncé de l'exigence « {code} » est vide.")
            requirement = requirements[code] = RequirementRow(
                code=code,
                section=cells["section"],
                bloc=cells["bloc"],
                function=cells["function"],
                nature=nature or "",
                statement=statement,
                is_example=is_example,
                row=row_number,
            )
        else:
            for name, current in (
                ("statement", requirement.statement),
                ("section", requirement.section),
            ):
                value = statement if name == "statement" else cells[name]
                if value and normalize(value) != normalize(current):
                    error(
                        row_number,
                        name,
                        f"l'exigence « {code} » a une autre valeur qu'à la ligne {requirement.row}.",
                    )
            if nature and requirement.nature and nature != requirement.nature:
                error(
                    row_number,
                    "nature",
                    f"l'exigence « {code} » a une autre nature qu'à la ligne {requirement.row}.",
                )
        for profile in profiles:
            if profile not in requirement.profiles:
                requirement.profiles.append(profile)
        requirement.scenarios.append(
            ScenarioRow(
                code=scenario_code, text=cells["scenario_text"], proofs=proofs, row=row_number
            )
        )
        if len(errors) >= MAX_ERRORS:
            errors.append("Trop d'erreurs : l'analyse s'arrête ici.")
            break

    if columns is None:
        missing = [HEADERS[name] for name in FIELDS if name not in best]
        raise SpreadsheetError(
            [
                f"Feuille « {SHEET_NAME} » : ligne d'en-têtes introuvable ; colonne(s) manquante(s) : "
                f"{', '.join('« ' + m + ' »' for m in missing)}."
            ]
        )
    if errors:
        raise SpreadsheetError(errors)
    if not requirements:
        raise SpreadsheetError([f"Feuille « {SHEET_NAME} » : aucune exigence trouvée."])
    return list(requirements.values())


def write_requirements(rows: Iterable[list], destination: str | Path | IO[bytes]) -> None:
    """Write the official layout; ``rows`` are lists in the order of HEADERS."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    sheet.append([HEADERS[name] for name in FIELDS])
    for row in rows:
        sheet.append(row)
    workbook.save(destination)
