"""Bench: the costliest spreadsheet the archive checks let through (issue 10).

A sheet carrying one huge comment of poorly compressible text passes every bound (50 MiB
inflated, ratio under 100, 20 MiB on disk). The expat of Python 3.11 rescans an unfinished
token from its start on each chunk it is fed: read through openpyxl's 16 KiB chunks, such a
comment costs time quadratic in its size (minutes for 48 MiB); read through the 1 MiB chunks of
`spreadsheet.read_requirements` it grows linearly.

Floor: inflating the sheet and parsing it once with defusedxml, fed in one piece.
Goal: read_requirements ≤ 2.5× floor with the 48 MiB comment: the sheet has no <dimension>
(an attacker leaves it out), so openpyxl parses it twice, once to size it, once for its rows.
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import _setup  # noqa: E402,I001  (must come before anything Django)

from defusedxml.ElementTree import fromstring  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from guichet.referentials.services import archive_limits  # noqa: E402
from guichet.referentials.spreadsheet import (  # noqa: E402
    SHEET_NAME,
    read_requirements,
    write_requirements,
)

SHEET = "xl/worksheets/sheet1.xml"
GOAL_RATIO = 2.5
RUNS = 3
# Two letters drawn at random: about 8 times smaller compressed, well under the ratio bound.
LETTERS = bytes.maketrans(bytes(range(256)), b"ab" * 128)


def with_comment(source: Path, destination: Path, mebibytes: int) -> None:
    """Copy the workbook, its sheet carrying a comment of ``mebibytes`` MiB before its data."""
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy,
    ):
        for info in original.infolist():
            content = original.read(info.filename)
            if info.filename != SHEET:
                copy.writestr(info.filename, content)
                continue
            head, tail = content.split(b"<sheetData>")
            with copy.open(SHEET, "w", force_zip64=True) as member:
                member.write(head + b"<!--")
                for _ in range(mebibytes):
                    member.write(os.urandom(1024 * 1024).translate(LETTERS))
                member.write(b"--><sheetData>" + tail)


def inflate_and_parse(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        fromstring(archive.read(SHEET))


def openpyxl_alone(path: Path) -> None:
    workbook = load_workbook(path, read_only=True)
    for _row in workbook[SHEET_NAME].iter_rows(values_only=True):
        pass
    workbook.close()


def main() -> None:
    row = ["Général", "Identité", "", "", "DOIT", "INS 1", "Énoncé.", "INS 1.1", "Vérifier."]
    directory = Path(tempfile.mkdtemp(dir=_setup.VAR_DIR))
    plain = directory / "exigences.xlsx"
    write_requirements([[*row, "Capture", None, None]], plain)
    limits = archive_limits()
    print(f"bench_import_hostile — one comment in the sheet « {SHEET_NAME} », best of {RUNS}")
    for mebibytes in (12, 48):
        path = directory / f"commentaire-{mebibytes}.xlsx"
        with_comment(plain, path, mebibytes)
        with zipfile.ZipFile(path) as archive:
            inflated = archive.getinfo(SHEET).file_size / 1024**2
        floor_ms = _setup.best_of(RUNS, lambda _i, p=path: inflate_and_parse(p))
        real_ms = _setup.best_of(RUNS, lambda _i, p=path: read_requirements(p, limits=limits))
        size = path.stat().st_size / 1024**2
        print(f"  {mebibytes} MiB comment: file {size:.1f} MiB, sheet {inflated:.0f} MiB inflated")
        print(f"    floor (inflate + parse in one piece) : {floor_ms:8.1f} ms")
        print(f"    read_requirements (1 MiB reads)      : {real_ms:8.1f} ms")
        if mebibytes == 12:
            # 48 MiB would take about 16 times as long: minutes.
            alone_ms = _setup.best_of(1, lambda _i, p=path: openpyxl_alone(p))
            print(f"    openpyxl alone (16 KiB reads)        : {alone_ms:8.1f} ms")
        else:
            ratio = real_ms / floor_ms
            print(f"    ratio                                : {ratio:8.2f}×")
            print(f"    goal: ≤ {GOAL_RATIO:g}× floor → {_setup.verdict(ratio <= GOAL_RATIO)}")


if __name__ == "__main__":
    main()
