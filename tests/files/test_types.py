"""The type of a deposited file is found in its content and must agree with its extension
(issue 10 §3, R-EVD-2); Office files are ZIP archives, told apart by their main part."""

import io
import os
import zipfile

import pytest

from guichet.common.errors import ApplicationError
from guichet.files import types
from guichet.files.uploads import discard, upload_from_stream
from tests.fixtures import PDF

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def kind_of(name: str, content: bytes, *, sensitive: bool = False) -> str:
    """Through the streaming handler, as an upload is: its head and tail, then the check."""
    upload = upload_from_stream(io.BytesIO(content), name)
    try:
        return types.check(
            upload.name, upload.head, upload.tail, upload.size, sensitive=sensitive
        ).mime
    finally:
        discard(upload.temp_path)


def refusal(name: str, content: bytes, **kwargs) -> str:
    with pytest.raises(ApplicationError) as refused:
        kind_of(name, content, **kwargs)
    assert refused.value.extra["status"] == 415
    return refused.value.message


def archive(entries, *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for index, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            package.writestr(name, data, compress_type=method)
    return buffer.getvalue()


PARTS = [
    ("[Content_Types].xml", b"<Types/>"),
    ("_rels/.rels", b"<Relationships/>"),
]
LATE_WORD = [  # the main part after entries filetype does not look past
    ("docProps/app.xml", b"<Properties/>"),
    ("docProps/core.xml", b"<coreProperties/>"),
    ("customXml/item1.xml", b"<b/>"),
    ("customXml/itemProps1.xml", b"<ds/>"),
    ("docProps/custom.xml", b"<c/>"),
    ("word/document.xml", b"<w:document/>"),
]


def test_r_evd_2_word_file_is_a_docx_whether_or_not_filetype_sees_it():
    early = archive([*PARTS, ("word/document.xml", b"<w:document/>")])
    late = archive([*PARTS, *LATE_WORD])
    assert kind_of("rapport.docx", early) == DOCX_MIME
    assert kind_of("rapport.docx", late) == DOCX_MIME


def test_r_evd_2_docx_found_at_the_end_of_a_file_of_several_chunks():
    # The list of entries is at the end of the archive, past the head: the tail keeps it.
    filler = [(f"word/media/image{i}.bin", os.urandom(600_000)) for i in range(4)]
    big = archive([*PARTS, *filler, *LATE_WORD])
    assert len(big) > 2 * 1024 * 1024
    assert kind_of("gros rapport.DOCX", big) == DOCX_MIME


def test_r_evd_2_zip_named_docx_without_word_part_is_refused():
    message = refusal("rapport.docx", archive([("notes.txt", b"x")]))
    assert "porte l'extension .docx mais son contenu est une archive ZIP" in message


def test_r_evd_2_a_zip_is_a_zip_even_holding_an_office_document():
    assert kind_of("preuves.zip", archive([("a.pdf", PDF)])) == "application/zip"
    assert kind_of("preuves.zip", archive([*PARTS, *LATE_WORD])) == "application/zip"


def test_r_evd_2_real_spreadsheet_and_opendocument_files():
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Exigence"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert kind_of("matrice.xlsx", buffer.getvalue()) == XLSX_MIME
    odt = archive(
        [("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")],
        stored_first=True,
    )
    assert kind_of("note.odt", odt) == "application/vnd.oasis.opendocument.text"
    assert "son contenu est un document OpenDocument texte" in refusal("note.docx", odt)


@pytest.mark.parametrize(
    "name, content",
    [
        ("journal.txt", "Journal des tests — réussis.\n".encode()),
        ("exigences.csv", b"code;statut\nEX-1;conforme\n"),
        ("rapport.json", b'{"resultat": "conforme"}'),
        ("flux.xml", b'<?xml version="1.0" encoding="UTF-8"?><flux/>'),
    ],
)
def test_r_evd_2_text_types_are_plain_text(name, content):
    assert kind_of(name, content) == "text/plain"


def test_r_evd_2_extension_and_content_must_agree():
    assert "porte l'extension .txt mais son contenu est un document PDF" in refusal("a.txt", PDF)
    assert "porte l'extension .png mais son contenu est du texte" in refusal("a.png", b"hello")
    assert kind_of("scan.JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64) == (
        "image/jpeg"
    )


def test_r_evd_2_unknown_or_missing_extension_is_refused():
    assert "porte l'extension .exe, qui ne correspond à aucun type accepté" in refusal(
        "outil.exe", b"MZ\x90\x00"
    )
    assert "« rapport » n'a pas d'extension" in refusal("rapport", PDF)


def compound_file() -> bytes:
    """An empty Microsoft Compound File (MS-CFB version 3): header, one FAT sector, one
    directory sector holding the root entry: the container a ZED archive is made of."""
    import struct

    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
    header += struct.pack(
        "<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 0x1000, end, 0, end, 0
    )
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    fat = struct.pack("<II", fat_sector, end) + struct.pack("<I", free) * 126
    name = "Root Entry".encode("utf-16-le") + b"\x00\x00"
    root = name.ljust(64, b"\x00") + struct.pack(
        "<HBBIII", len(name), 5, 1, no_stream, no_stream, no_stream
    )
    root = root.ljust(116, b"\x00") + struct.pack("<IQ", end, 0)
    directory = root + bytes(128) * 3
    assert len(header) == len(fat) == len(directory) == 512
    return header + fat + directory


def test_r_evd_3_zed_container_only_for_a_sensitive_proof():
    zed = compound_file()
    assert kind_of("test-intrusion.zed", zed, sensitive=True) == "application/x-zed"
    assert "réservé aux preuves sensibles" in refusal("test-intrusion.zed", zed)
    assert "porte l'extension .zed mais son contenu est un document PDF" in refusal(
        "test-intrusion.zed", PDF, sensitive=True
    )
    # A compound file named otherwise is not taken for what its name says.
    assert "son contenu est un conteneur ZED chiffré" in refusal("rapport.pdf", zed, sensitive=True)
    # A sensitive proof still takes the other accepted types (encrypted at rest all the same).
    assert kind_of("rapport.pdf", PDF, sensitive=True) == "application/pdf"


def test_r_evd_3_only_a_valid_compound_header_counts():
    zed = bytearray(compound_file())
    zed[0x1C:0x1E] = b"\x00\x00"  # byte order mark
    assert "son contenu est d'un type non" in refusal("x.zed", bytes(zed), sensitive=True)
