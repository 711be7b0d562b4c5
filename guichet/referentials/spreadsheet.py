"""The agency's requirements spreadsheet (R-REF-2): reading and writing the official layout.

Sheet « Exigences », one row per conformity scenario; columns are found by their header,
whatever their order, case, accents, trailing spaces or line breaks.

The file comes from outside: an xlsx is a zip of XML parts, so before openpyxl reads anything
the archive is checked (its size, the number of its parts, how much they inflate) and no part
may carry a DTD. Whatever then goes wrong while reading is a refusal, never a crash.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from defusedxml import DTDForbidden
from defusedxml.ElementTree import iterparse as defused_iterparse
from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from unidecode import unidecode

SHEET_NAME = "Exigences"
EXAMPLE_MARKER = "(exemple — à remplacer par l'import officiel)"
MAX_ERRORS = 50

UNREADABLE = (
    "Le fichier n'est pas un classeur Excel (.xlsx) lisible : "
    "enregistrez-le au format .xlsx puis déposez-le à nouveau."
)
RESAVE = "enregistrez-le à nouveau depuis Excel ou LibreOffice au format .xlsx puis déposez-le."
# Parts smaller than this are not checked for their compression ratio: small XML parts
# (styles, relations) compress a lot and cost nothing even fully inflated.
RATIO_GRACE_BYTES = 1024 * 1024
# Members are read 1 MiB at a time: the expat of Python 3.11 rescans an unfinished token (a
# comment, an attribute) from its start on every chunk it is fed, so a 50 MB comment fed in
# ElementTree.iterparse's 16 KiB chunks costs minutes; fed in 1 MiB chunks it costs what
# reading it once does.
READ_CHUNK = 1024 * 1024

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


def _missing_columns(missing: list[str]) -> str:
    names = ", ".join(f"« {name} »" for name in missing)
    return ("colonne manquante : " if len(missing) == 1 else "colonnes manquantes : ") + f"{names}."


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
    # Positions (1–3) of the sensitive proofs (R-EVD-3): data of the catalogue, or copied from
    # the previous version by an import; the agency can change them per version.
    sensitive: frozenset[int] = frozenset()


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


@dataclass(frozen=True)
class ArchiveLimits:
    """What a spreadsheet may cost before it is parsed (a 300 KB zip can inflate to 300 MB)."""

    max_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 50 * 1024 * 1024
    max_compression_ratio: int = 100
    max_members: int = 1000


def _size_text(size: int) -> str:
    """« 1,3 Ko », « 4,2 Mo », « 300 Mo »."""
    value, unit = (size / 1024**2, "Mo") if size >= 1024**2 else (size / 1024, "Ko")
    return f"{value:.1f} {unit}".replace(".", ",") if value < 10 else f"{value:.0f} {unit}"


class _LargeReads:
    """A zip member that answers every read with at least READ_CHUNK bytes (see READ_CHUNK).
    Its size is bounded by zipfile itself: a member stops at the size its header declares,
    then fails its CRC check if it lied."""

    def __init__(self, member):
        self._member = member

    def read(self, size: int | None = -1) -> bytes:
        return self._member.read(-1 if size is None or size < 0 else max(size, READ_CHUNK))

    def __getattr__(self, name):
        return getattr(self._member, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._member.close()


class _CheckedZipFile(zipfile.ZipFile):
    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        member = super().open(name, mode, pwd, force_zip64=force_zip64)
        return _LargeReads(member) if mode == "r" else member


def _refuse(message: str) -> SpreadsheetError:
    return SpreadsheetError([message])


def _check_size(handle: IO[bytes], limits: ArchiveLimits) -> None:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    if size > limits.max_bytes:
        raise _refuse(
            f"Le fichier pèse {_size_text(size)}, au-delà de la taille maximale de "
            f"{_size_text(limits.max_bytes)} : retirez-en ce qui n'est pas la feuille "
            f"« {SHEET_NAME} » puis déposez-le à nouveau."
        )


def _check_members(archive: zipfile.ZipFile, limits: ArchiveLimits) -> None:
    """From the zip's directory alone, nothing inflated: how many parts, how big inflated."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise _refuse(
            f"Le classeur contient {len(members)} parties, au-delà du maximum de "
            f"{limits.max_members} : ce n'est pas un tableur d'exigences ordinaire ; {RESAVE}"
        )
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise _refuse(
                "Le classeur est protégé par un mot de passe : enregistrez-le sans mot de passe "
                "puis déposez-le à nouveau."
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(UNREADABLE)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_GRACE_BYTES and ratio > limits.max_compression_ratio:
            raise _refuse(
                f"La partie « {info.filename} » du classeur est anormalement compressée "
                f"({_size_text(info.file_size)} une fois décompressée, {ratio:.0f} fois sa taille "
                f"compressée, au plus {limits.max_compression_ratio} fois) : ce n'est pas un "
                f"tableur d'exigences ordinaire ; {RESAVE}"
            )
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise _refuse(
            f"Le classeur occuperait {_size_text(total)} une fois décompressé, au-delà du maximum "
            f"de {_size_text(limits.max_uncompressed_bytes)} : retirez-en ce qui n'est pas la "
            f"feuille « {SHEET_NAME} » (feuilles, images, mises en forme) puis déposez-le à nouveau."
        )


def _check_no_doctype(archive: zipfile.ZipFile) -> None:
    """No XML part may carry a DTD. openpyxl parses sheets and shared strings with defusedxml,
    which refuses entities but accepts a DTD without any, and the other parts with lxml, which
    leaves entities unexpanded: refusing every DTD up front closes both doors to entity
    expansion (billion laughs) and external entities (XXE), with a message that says so."""
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as member:
            try:
                # A DTD can only come before the root element: stop there.
                for _event in defused_iterparse(member, events=("start",), forbid_dtd=True):
                    break
            except DTDForbidden:
                raise _refuse(
                    f"La partie « {info.filename} » du classeur contient une déclaration de type "
                    f"de document (DTD), refusée par sécurité : {RESAVE}"
                ) from None
            except Exception as exc:  # malformed XML, a member failing its CRC check…
                raise _refuse(UNREADABLE) from exc


def _checked_archive(handle: IO[bytes], limits: ArchiveLimits) -> zipfile.ZipFile:
    _check_size(handle, limits)
    try:
        archive = _CheckedZipFile(handle)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise _refuse(UNREADABLE) from None
    try:
        _check_members(archive, limits)
        _check_no_doctype(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def _load_workbook(archive: zipfile.ZipFile):
    """openpyxl's read-only workbook on the checked archive: load_workbook would open its own
    ZipFile, whose members are not read through _LargeReads."""
    reader = ExcelReader(archive.fp, read_only=True, data_only=True)
    reader.archive.close()  # the file stays open: it was handed over, zipfile leaves it be
    reader.archive = archive
    reader.valid_files = archive.namelist()
    reader.read()
    return reader.wb


def _refused_on_failure(rows: Iterator[tuple]) -> Iterator[tuple]:
    # Whatever breaks while openpyxl reads an untrusted file (a corrupted or lying member,
    # malformed XML, an odd cell) means the file cannot be imported: a refusal, not a crash.
    try:
        yield from rows
    except Exception as exc:
        raise _refuse(UNREADABLE) from exc


@contextmanager
def _binary(source: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            yield handle
    else:
        source.seek(0)
        yield source


def _open_rows(
    source: str | Path | IO[bytes], limits: ArchiveLimits
) -> Iterator[tuple[int, tuple]]:
    with _binary(source) as handle:
        archive = _checked_archive(handle, limits)
        try:
            try:
                workbook = _load_workbook(archive)
            except Exception as exc:
                raise _refuse(UNREADABLE) from exc
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
                rows = workbook[sheet_name].iter_rows(values_only=True)
                yield from enumerate(_refused_on_failure(rows), start=1)
            finally:
                workbook.close()
        finally:
            archive.close()


def read_requirements(
    source: str | Path | IO[bytes], *, limits: ArchiveLimits | None = None
) -> list[RequirementRow]:
    """Parse the sheet into requirements with their scenarios and proofs, or raise
    SpreadsheetError listing every problem found (row and column named)."""
    rows = _open_rows(source, limits or ArchiveLimits())
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
                            + _missing_columns(missing)
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
                f"Feuille « {SHEET_NAME} » : ligne d'en-têtes introuvable ; "
                + _missing_columns(missing)
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
