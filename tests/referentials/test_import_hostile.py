"""Hostile spreadsheets (R-REF-2, issue 10): DTDs, zip bombs, lying zips. Each is refused with
« Fichier refusé, rien n'a été modifié : <raison> » and a non-zero exit, and changes nothing.

The files are built here, part by part, with zipfile: a minimal package as Excel writes it
(shared strings, one sheet « Exigences »), then spoiled one way or another.
"""

import os
import struct
import zipfile
from html import unescape
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl.utils import get_column_letter

from guichet.referentials.management.commands import import_referential
from guichet.referentials.selectors import get_version
from tests.referentials.test_import import HEADER, row, snapshot

pytestmark = pytest.mark.django_db

REFUSED = "Fichier refusé, rien n'a été modifié :"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
BILLION_LAUGHS = b'<!ENTITY lol0 "lol">' + b"".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">'.encode() for n in range(1, 10)
)


class Raw(str):
    """A cell written as an inline string whose XML is not escaped (to use an entity)."""


def package(rows) -> dict[str, bytes]:
    """The parts of a minimal xlsx: its strings shared, as Excel and LibreOffice write them."""
    strings: dict[str, int] = {}
    sheet_rows = []
    for r, values in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(values, start=1):
            where = f"{get_column_letter(c)}{r}"
            if isinstance(value, Raw):
                cells.append(f'<c r="{where}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif value is not None:
                index = strings.setdefault(str(value), len(strings))
                cells.append(f'<c r="{where}" t="s"><v>{index}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    shared = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CONTENT_TYPE}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CONTENT_TYPE}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_RELATIONS}">'
            f'<Relationship Id="rId1" Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
            '<sheet name="Exigences" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_RELATIONS}">'
            f'<Relationship Id="rId1" Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELATIONS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><dimension ref="A1:L{len(rows)}"/>'
            f"<sheetData>{''.join(sheet_rows)}</sheetData></worksheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            f"{shared}</sst>"
        ),
    }
    return {name: DECLARATION + body.encode() for name, body in parts.items()}


def with_doctype(parts, name, doctype: bytes) -> dict[str, bytes]:
    assert parts[name].startswith(DECLARATION)
    return {**parts, name: DECLARATION + doctype + parts[name][len(DECLARATION) :]}


def write(path, parts, *, extra=()):
    """``extra``: (name, chunks) members written as a stream, never held whole."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        for name, chunks in extra:
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
    return path


def good_parts():
    return package([HEADER, row("INS 1", "INS 1.1", proofs=("Capture",))])


def import_file(path, number="1.2.3"):
    call_command("import_referential", str(path), "--referential", "DMN", "--version", number)


def refused(path, *fragments):
    """The command refuses the file with the usual wording and a non-zero exit status (a
    CommandError is what `manage.py` turns into its exit status, without a traceback), and the
    database is unchanged."""
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        import_file(path)
    message = str(excinfo.value)
    assert message.startswith(REFUSED), message
    assert excinfo.value.returncode != 0
    for fragment in fragments:
        assert fragment in message, message
    assert snapshot() == before
    return message


def test_r_ref_2_the_hand_built_package_imports(catalogue, tmp_path):
    """The control: the package the other tests spoil is a good spreadsheet."""
    import_file(write(tmp_path / "bon.xlsx", good_parts()))
    requirement = get_version("DMN", "1.2.3").requirements.get()
    assert requirement.code == "INS 1"
    assert [p.description for p in requirement.scenarios.get().proofs.all()] == ["Capture"]


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("SECRET-XXE-42")
    return path


SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


@pytest.mark.parametrize(
    ("part", "doctype"),
    [
        # Billion laughs: 10⁹ « lol » if the entity lol9 were expanded.
        (STRINGS, b"<!DOCTYPE sst [" + BILLION_LAUGHS + b"]>"),
        (SHEET, b"<!DOCTYPE worksheet [" + BILLION_LAUGHS + b"]>"),
        # XXE: an external entity naming a file of the server.
        (STRINGS, b'<!DOCTYPE sst [<!ENTITY lol9 SYSTEM "{secret}">]>'),
        (SHEET, b'<!DOCTYPE worksheet [<!ENTITY lol9 SYSTEM "{secret}">]>'),
        (SHEET, b'<!DOCTYPE worksheet SYSTEM "{secret}">'),
        ("xl/workbook.xml", b'<!DOCTYPE workbook [<!ENTITY lol9 SYSTEM "{secret}">]>'),
        # A DTD without entities, even one the parser would have to fetch.
        ("[Content_Types].xml", b'<!DOCTYPE Types SYSTEM "http://127.0.0.1:9/types.dtd">'),
        ("_rels/.rels", b"<!DOCTYPE Relationships>"),
    ],
)
def test_r_ref_2_refuses_a_dtd_in_any_part_without_expanding_it(
    catalogue, tmp_path, secret, part, doctype
):
    # Where it lands if expanded: the proof of the scenario.
    proof = Raw("&lol9;") if part == SHEET else "Capture"
    parts = package([HEADER, row("INS 1", "INS 1.1", proofs=(proof,))])
    if part == STRINGS:
        parts[part] = parts[part].replace(b"Capture", b"&lol9;")
    parts = with_doctype(parts, part, doctype.replace(b"{secret}", secret.as_uri().encode()))
    message = refused(write(tmp_path / "dtd.xlsx", parts), f"« {part} »", "(DTD)")
    assert "SECRET-XXE" not in message


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """The attacker's comment: a sheet that inflates to 120 MB, most of it one comment, in a
    file of about 120 KB (written in a stream: never 120 MB in memory)."""
    parts = good_parts()
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"<sheetData>")
    chunks = [head, b"<!--", *[b"lol" * 349_525] * 120, b"--><sheetData>", tail]
    del parts["xl/worksheets/sheet1.xml"]
    path = tmp_path_factory.mktemp("bomb") / "bombe.xlsx"
    return write(path, parts, extra=[("xl/worksheets/sheet1.xml", chunks)])


def test_r_ref_2_refuses_a_zip_bomb_before_inflating_it(catalogue, bomb):
    assert bomb.stat().st_size < 1024 * 1024
    refused(bomb, "« xl/worksheets/sheet1.xml »", "anormalement compressée")


def test_r_ref_2_refuses_parts_that_inflate_too_much_together(catalogue, tmp_path):
    """Sixty parts of 1 MiB each: none is checked for its ratio alone (small parts compress
    a lot and cost nothing), but together they pass the 50 MiB bound."""
    padding = [(f"xl/media/image{n}.bin", [bytes(1024 * 1024)]) for n in range(60)]
    path = write(tmp_path / "gros.xlsx", good_parts(), extra=padding)
    refused(path, "60 Mo une fois décompressé", "maximum de 50 Mo")


def test_r_ref_2_the_uncompressed_bound_comes_from_the_settings(catalogue, tmp_path, settings):
    settings.REFERENTIAL_IMPORT_MAX_UNCOMPRESSED_BYTES = 2048
    refused(write(tmp_path / "bon.xlsx", good_parts()), "au-delà du maximum de 2,0 Ko")


def test_r_ref_2_refuses_a_zip_of_too_many_parts(catalogue, tmp_path):
    extra = [(f"customXml/item{n}.bin", [b""]) for n in range(1001)]
    path = write(tmp_path / "parties.xlsx", good_parts(), extra=extra)
    refused(path, "1007 parties", "maximum de 1000")


def test_r_ref_2_refuses_a_file_above_the_size_limit(catalogue, tmp_path, settings):
    settings.REFERENTIAL_IMPORT_MAX_BYTES = 1024
    refused(write(tmp_path / "bon.xlsx", good_parts()), "taille maximale de 1,0 Ko")


def declare_size(path, name: str, size: int) -> None:
    """Make the zip lie: its headers announce ``size`` bytes for the member ``name``."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + name_length] == encoded:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == encoded:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_r_ref_2_refuses_a_part_whose_header_lies_about_its_size(catalogue, tmp_path):
    """The sheet inflates to 30 MB but its headers announce 2 KB: reading stops at 2 KB (zipfile
    holds a member to its declared size) and the file is refused, not parsed nor crashed on."""
    parts = good_parts()
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    del parts["xl/worksheets/sheet1.xml"]
    chunks = [head, *[b" " * (1024 * 1024)] * 30, b"</sheetData>", tail]
    path = write(tmp_path / "menteur.xlsx", parts, extra=[("xl/worksheets/sheet1.xml", chunks)])
    declare_size(path, "xl/worksheets/sheet1.xml", 2048)
    refused(path, "n'est pas un classeur Excel (.xlsx) lisible")


def test_r_ref_2_refuses_a_member_truncated_in_the_middle_of_the_sheet(catalogue, tmp_path):
    """Declared 1.5 MiB of a 3 MiB sheet: its first MiB reads well, the rest fails zipfile's
    CRC check while openpyxl reads the rows, and that too is a refusal."""
    parts = good_parts()
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    del parts["xl/worksheets/sheet1.xml"]
    # 800 rows of 4 KB of hexadecimal in a column the import ignores: 3 MiB, little compressed.
    cell = '<c r="Z{n}" t="inlineStr"><is><t>{text}</t></is></c>'
    filler = [
        f'<row r="{n}">{cell.format(n=n, text=os.urandom(2048).hex())}</row>'.encode()
        for n in range(3, 803)
    ]
    head = head.replace(b'ref="A1:L2"', b'ref="A1:Z802"')  # or openpyxl stops at row 2
    chunks = [head, *filler, b"</sheetData>", tail]
    path = write(tmp_path / "tronque.xlsx", parts, extra=[("xl/worksheets/sheet1.xml", chunks)])
    declare_size(path, "xl/worksheets/sheet1.xml", 1536 * 1024)
    refused(path, "n'est pas un classeur Excel (.xlsx) lisible")


def test_r_ref_2_refuses_a_part_compressed_by_an_unusual_method(catalogue, tmp_path):
    path = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
        for name, content in good_parts().items():
            archive.writestr(name, content)
    refused(path, "n'est pas un classeur Excel (.xlsx) lisible")


def test_r_ref_2_refuses_malformed_xml_in_the_sheet(catalogue, tmp_path):
    parts = good_parts()
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b"<row></sheetData>"
    )
    refused(write(tmp_path / "casse.xlsx", parts), "n'est pas un classeur Excel (.xlsx) lisible")


@pytest.fixture
def bad_files(tmp_path, bomb, secret):
    """One file of each kind the command and the page must refuse, with a word of its reason."""
    not_a_zip = tmp_path / "faux.xlsx"
    not_a_zip.write_text("ceci n'est pas un classeur")
    laughs = good_parts()
    laughs[STRINGS] = laughs[STRINGS].replace(b"Capture", b"&lol9;")
    laughs = with_doctype(laughs, STRINGS, b"<!DOCTYPE sst [" + BILLION_LAUGHS + b"]>")
    xxe = package([HEADER, row("INS 1", "INS 1.1", proofs=(Raw("&x;"),))])
    doctype = f'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'.encode()
    xxe = with_doctype(xxe, SHEET, doctype)
    no_sheet = package([HEADER, row()])
    no_sheet["xl/workbook.xml"] = no_sheet["xl/workbook.xml"].replace(b"Exigences", b"Feuil1")
    header = [h for h in HEADER if h != "N° scénario"]
    short_row = row()
    del short_row[7]
    return {
        "not a zip": (not_a_zip, "n'est pas un classeur Excel"),
        "zip bomb": (bomb, "anormalement compressée"),
        "billion laughs": (write(tmp_path / "lol.xlsx", laughs), "(DTD)"),
        "XXE": (write(tmp_path / "xxe.xlsx", xxe), "(DTD)"),
        "missing sheet": (write(tmp_path / "feuil.xlsx", no_sheet), "pas de feuille « Exigences »"),
        "missing column": (
            write(tmp_path / "col.xlsx", package([header, short_row])),
            "« N° scénario »",
        ),
        "duplicate": (
            write(tmp_path / "double.xlsx", package([HEADER, row(), row("INS 2")])),
            "« INS 1.1 » est en double",
        ),
    }


BAD_KINDS = [
    "not a zip",
    "zip bomb",
    "billion laughs",
    "XXE",
    "missing sheet",
    "missing column",
    "duplicate",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_r_ref_2_command_exits_non_zero_with_one_message_for_every_bad_file(
    catalogue, bad_files, kind, capsys
):
    """As `manage.py import_referential` runs: argv parsed, the refusal printed on stderr
    without a traceback, exit status 1. (That nothing changed is checked through call_command
    and the page: run_from_argv closes the database connections as it ends.)"""
    path, reason = bad_files[kind]
    argv = ["manage.py", "import_referential", str(path), "--referential", "DMN"]
    with pytest.raises(SystemExit) as excinfo:
        import_referential.Command().run_from_argv([*argv, "--version", "1.2.3"])
    assert excinfo.value.code == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith("CommandError: " + REFUSED), stderr
    assert reason in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_r_ref_2_import_page_refuses_every_bad_file_with_400_and_keeps_nothing(
    client, catalogue, agency_admin, bad_files, kind, tmp_path
):
    path, reason = bad_files[kind]
    client.force_login(agency_admin)
    before = snapshot()
    with path.open("rb") as handle:
        response = client.post(
            reverse("referentials:import"),
            {"referential": "DMN", "number": "1.3.0", "file": handle},
        )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "Fichier refusé, rien n'a été modifié" in page
    assert reason in page
    assert "SECRET-XXE" not in page
    assert snapshot() == before
    assert not list((tmp_path / "media").rglob("*.xlsx"))
