"""Downloads: the official xlsx layout and CSV, written through a temporary file renamed into
place (never half a file), rows streamed from the database."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from guichet.referentials.selectors import export_rows
from guichet.referentials.spreadsheet import FIELDS, HEADERS, write_requirements


def write_version_xlsx(version, destination: str | Path, profiles=None, pathology=None) -> None:
    destination = Path(destination)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=destination.parent or ".")
    os.close(fd)
    try:
        write_requirements(export_rows(version, profiles, pathology), tmp)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def xlsx_tempfile(version, profiles=None, pathology=None):
    """An open temporary file holding the export, deleted when closed."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")
    write_requirements(export_rows(version, profiles, pathology), handle.name)
    handle.seek(0)
    return handle


class _Echo:
    def write(self, value):
        return value


def csv_lines(version, profiles=None, pathology=None):
    """CSV (semicolon-separated, UTF-8 with BOM for spreadsheet programs), line by line."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow([HEADERS[name] for name in FIELDS])
    for row in export_rows(version, profiles, pathology):
        yield writer.writerow(["" if value is None else value for value in row])
