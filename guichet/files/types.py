"""What a deposited file is (R-EVD-2, R-EVD-3): its type is found in its content, from an
allow-list, and must agree with the extension of its name, so that a file is what it says it
is when an instructor opens it (a ZIP archive named « rapport.pdf » is refused)."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from dataclasses import dataclass

import filetype

from guichet.common.errors import ApplicationError


@dataclass(frozen=True)
class Kind:
    mime: str
    label: str  # in the list of accepted types
    noun: str  # « son contenu est … »
    extensions: tuple[str, ...]

    def __str__(self):
        return f"{self.label} ({', '.join(self.extensions)})"


PDF = Kind("application/pdf", "PDF", "un document PDF", (".pdf",))
PNG = Kind("image/png", "PNG", "une image PNG", (".png",))
JPEG = Kind("image/jpeg", "JPEG", "une image JPEG", (".jpg", ".jpeg"))
ZIP = Kind("application/zip", "ZIP", "une archive ZIP", (".zip",))
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word",
    "un document Word",
    (".docx",),
)
XLSX = Kind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Excel",
    "un classeur Excel",
    (".xlsx",),
)
PPTX = Kind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint",
    "une présentation PowerPoint",
    (".pptx",),
)
ODT = Kind(
    "application/vnd.oasis.opendocument.text",
    "OpenDocument texte",
    "un document OpenDocument texte",
    (".odt",),
)
ODS = Kind(
    "application/vnd.oasis.opendocument.spreadsheet",
    "OpenDocument tableur",
    "un classeur OpenDocument",
    (".ods",),
)
ODP = Kind(
    "application/vnd.oasis.opendocument.presentation",
    "OpenDocument présentation",
    "une présentation OpenDocument",
    (".odp",),
)
TEXT = Kind("text/plain", "texte", "du texte", (".txt", ".csv", ".json", ".xml"))
# ZED! (Prim'X) encrypted container, the channel of the TLC guide (§5.1) for sensitive proofs.
# No media type is registered for it: this one names it in the API and the journal.
ZED = Kind(
    "application/x-zed",
    "conteneur ZED chiffré",
    "un conteneur ZED chiffré ou un autre fichier composé OLE (document Office 97-2003)",
    (".zed",),
)

ALLOWED = (PDF, PNG, JPEG, ZIP, DOCX, XLSX, PPTX, ODT, ODS, ODP, TEXT)
# Office Open XML and OpenDocument files are ZIP archives: a file named .zip holding one is a
# ZIP archive all the same.
IN_A_ZIP = (DOCX, XLSX, PPTX, ODT, ODS, ODP)
_BY_MIME = {kind.mime: kind for kind in ALLOWED}
# The part an Office Open XML package cannot do without (ECMA-376 part 2, the main part).
_OOXML_MAIN_PARTS = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}

# ZED containers: Prim'X publishes no specification. The format's public description (Sylvain
# Beucler's clean-room reverse engineering, 2017) and Wikidata's file-format entry Q105853470
# (« Zed! encrypted container », extension zed) give it as a Microsoft Compound File (MS-CFB),
# whose 8-byte signature D0 CF 11 E0 A1 B1 1A E1 it shares with Office 97-2003 documents. So a
# ZED container is recognised by that signature with a valid MS-CFB header (byte order FFFE,
# version 3 with 512-byte sectors or version 4 with 4096-byte ones) AND the .zed extension;
# nothing in the first bytes tells it from a renamed .doc, whose streams lie anywhere in the
# file. (filetype's .doc/.xls/.ppt guesses are not used here: they look at the first sector,
# which in any compound file may hold bytes that match them.)
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


def is_compound_file(head: bytes) -> bool:
    if len(head) < 512 or not head.startswith(_CFB_SIGNATURE):
        return False
    major, byte_order, sector_shift = struct.unpack_from("<HHH", head, 0x1A)
    return byte_order == 0xFFFE and (major, sector_shift) in ((3, 9), (4, 12))


def is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the head
        return exc.start >= len(head) - 3
    return True


def content_kind(head: bytes, tail: bytes, size: int) -> tuple[Kind | None, str]:
    """The kind found in the content (None when not accepted) and how a message names it."""
    if is_compound_file(head):
        return ZED, ZED.noun
    mime = filetype.guess_mime(head)
    if mime is None:
        return (TEXT, TEXT.noun) if is_text(head) else (None, "d'un type non reconnu")
    kind = _BY_MIME.get(mime)
    if kind is ZIP:
        kind = _office_package(head, tail, size) or ZIP
    if kind is None:
        return None, f"d'un type non accepté ({mime})"
    return kind, kind.noun


def _office_package(head: bytes, tail: bytes, size: int) -> Kind | None:
    """filetype looks for Office parts among the first entries of the archive only; their
    list is at the end (the central directory), which the tail holds."""
    try:
        with zipfile.ZipFile(_Ends(head, tail, size)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    return next((kind for part, kind in _OOXML_MAIN_PARTS.items() if part in names), None)


class _Ends(io.RawIOBase):
    """A file of which only the first and last bytes are known, for zipfile to read the
    central directory without the rest of the content."""

    def __init__(self, head: bytes, tail: bytes, size: int):
        self.head, self.tail, self.size, self.position = head, tail, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer):
        end = min(self.position + len(buffer), self.size)
        tail_start = self.size - len(self.tail)
        if end <= len(self.head):
            data = self.head[self.position : end]
        elif self.position >= tail_start:
            data = self.tail[self.position - tail_start : end - tail_start]
        else:
            raise OSError("middle of the file not kept")
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def accepted_text(*, sensitive: bool = False) -> str:
    kinds = (*ALLOWED, ZED) if sensitive else ALLOWED
    return ", ".join(str(kind) for kind in kinds)


def check(name: str, head: bytes, tail: bytes, size: int, *, sensitive: bool = False) -> Kind:
    """The kind of an upload, when its content is accepted and agrees with its extension;
    a ZED container only for a sensitive proof (R-EVD-3). Refusals say what to do."""
    extension = os.path.splitext(name)[1].lower()
    declared = next((k for k in (*ALLOWED, ZED) if extension in k.extensions), None)
    if declared is ZED and not sensitive:
        raise _refusal(
            f"Le fichier « {name} » est un conteneur ZED : ce format est réservé aux preuves "
            "sensibles (tests d'intrusion). Déposez ici le document lui-même "
            f"({accepted_text()})."
        )
    if declared is None:
        what = f"porte l'extension {extension}" if extension else "n'a pas d'extension"
        raise _refusal(
            f"Le fichier « {name} » {what}, qui ne correspond à aucun type accepté : "
            f"{accepted_text(sensitive=sensitive)}. Nommez-le avec l'extension de son type."
        )
    found, noun = content_kind(head, tail, size)
    if found is declared or (declared is ZIP and found in IN_A_ZIP):
        return declared
    raise _refusal(
        f"Le fichier « {name} » porte l'extension {extension} mais son contenu est {noun} : "
        "déposez le bon fichier, ou nommez-le avec l'extension de son contenu s'il est d'un "
        f"type accepté ({accepted_text(sensitive=sensitive)})."
    )


def _refusal(message: str) -> ApplicationError:
    return ApplicationError(message, extra={"status": 415})
