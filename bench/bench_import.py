"""Bench: import of a 300-scenario spreadsheet (100 requirements × 3 scenarios) into DMN.

Floor: openpyxl alone, reading every row of « Exigences » (read_only, values_only).
Goal: import_spreadsheet ≤ 3× floor.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,I001  (must come before anything Django)

from openpyxl import load_workbook  # noqa: E402

from guichet.referentials.models import ExpectedProof, Scenario  # noqa: E402
from guichet.referentials.services import import_spreadsheet  # noqa: E402
from guichet.referentials.spreadsheet import SHEET_NAME, write_requirements  # noqa: E402

RUNS = 5
REQUIREMENTS = 100
SCENARIOS_PER_REQUIREMENT = 3
GOAL_RATIO = 3.0

PROFILE_SETS = [
    ["Général"],
    ["Général", "Accès Usager"],
    ["Accès Professionnel de Santé"],
    ["Accès Usager", "Accès Usager – ApCV"],
    ["Référentiel d'identité", "Référentiel d'identités en Etablissement de Santé"],
    ["Stockage des copies de titres d'identités"],
]
SECTIONS = [
    "Identité Nationale de Santé (INS)",
    "Pro Santé Connect (PSC)",
    "Annuaire santé",
    "Portabilité des données",
    "Administration et sécurité",
]


def build_rows() -> list[list]:
    rows = []
    for n in range(1, REQUIREMENTS + 1):
        code = f"BEN {n}"
        profiles = "\n".join(PROFILE_SETS[n % len(PROFILE_SETS)])
        section = SECTIONS[n % len(SECTIONS)]
        nature = "DOIT" if n % 3 else "DEVRAIT"
        statement = f"Le DMN {nature.lower()} satisfaire l'exigence de bench numéro {n}."
        for s in range(1, SCENARIOS_PER_REQUIREMENT + 1):
            proofs = [f"Preuve {p} du scénario {code}.{s}" for p in range(1, s + 1)]
            proofs += [None] * (3 - len(proofs))
            rows.append(
                [
                    profiles,
                    section,
                    f"Bloc {n % 7}",
                    f"Fonction {n % 11}",
                    nature,
                    code,
                    statement,
                    f"{code}.{s}",
                    f"Scénario {s} de l'exigence {code} : vérifier.",
                    *proofs,
                ]
            )
    return rows


def main() -> None:
    path = _setup.VAR_DIR / "bench-import.xlsx"
    write_requirements(build_rows(), path)

    def floor(_i: int) -> None:
        workbook = load_workbook(path, read_only=True)
        try:
            for _row in workbook[SHEET_NAME].iter_rows(values_only=True):
                pass
        finally:
            workbook.close()

    imported = []

    def real(i: int) -> None:
        imported.append(import_spreadsheet(path, referential_code="DMN", number=f"9.{i}"))

    floor_ms = _setup.best_of(RUNS, floor)
    real_ms = _setup.best_of(RUNS, real)
    ratio = real_ms / floor_ms
    scenarios = REQUIREMENTS * SCENARIOS_PER_REQUIREMENT
    print(
        f"bench_import — {REQUIREMENTS} requirements × {SCENARIOS_PER_REQUIREMENT} scenarios "
        f"= {scenarios} rows, best of {RUNS}"
    )
    last = imported[-1]
    scenarios = Scenario.objects.filter(version=last).count()
    proofs = ExpectedProof.objects.filter(scenario__version=last).count()
    print(
        f"  imported DMN {last.number}: {last.requirements.count()} requirements, "
        f"{scenarios} scenarios, {proofs} proofs"
    )
    print(f"  floor  (openpyxl read of « {SHEET_NAME} ») : {floor_ms:8.1f} ms")
    print(f"  import (import_spreadsheet)              : {real_ms:8.1f} ms")
    print(f"  ratio                                    : {ratio:8.2f}×")
    print(f"  goal: import ≤ {GOAL_RATIO:g}× floor → {_setup.verdict(ratio <= GOAL_RATIO)}")
    _setup.goal(
        "xlsx import (300 rows)",
        f"{real_ms:.0f} ms ({ratio:.2f}× floor)",
        f"≤ {GOAL_RATIO:g}× floor",
        ratio <= GOAL_RATIO,
    )


if __name__ == "__main__":
    main()
