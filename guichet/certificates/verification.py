"""Public verification of a certificate (R-CRT-9, issue 13 §1): what anyone may read of it from
its number — its state with its date and reason, what it states, its revisions and the SHA-256
of each revision's sealed PDF, so that a copy can be checked. The page and the API read it
here, in two queries whatever the number of revisions; nothing of the applicant's private data
(people's addresses, the admissibility form) is read."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zlib

from django.core.cache import caches
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from guichet.certificates.models import (
    Certificate,
    CertificateRevision,
    WithdrawalGround,
)
from guichet.certificates.standing import Standing
from guichet.common.links import absolute_reverse, absolute_url

# « CC-DMN-2027-0001 »: what a number may look like; anything else is unknown without a query.
NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
REGISTER_PATH = "/registre/"


def normalize_number(raw: str) -> str:
    """A number as people type it: spaces around, lower case."""
    return (raw or "").strip().upper()


def find_certificate(raw: str) -> Certificate | None:
    number = normalize_number(raw)
    if not NUMBER.match(number):
        return None
    return Certificate.objects.public().filter(number=number).first()


@dataclasses.dataclass(frozen=True)
class Verification:
    certificate: Certificate
    revisions: list[CertificateRevision]  # in order, the issued one first
    # R-DEC-2: the reservations of its decision, each with its deadline and whether it was
    # lifted (or found not lifted).
    reservations: list = dataclasses.field(default_factory=list)

    @property
    def current(self) -> CertificateRevision | None:
        """The revision that states what the certificate says now."""
        number = self.certificate.revision
        return next((r for r in reversed(self.revisions) if r.number == number), None)

    @property
    def pdf_ready(self) -> bool:
        current = self.current
        return current is not None and current.pdf_id is not None

    @property
    def standing(self) -> Standing:
        """Its state's dates and words, as every public output states them."""
        return Standing.of(self.certificate)

    @property
    def withdrawal_scheduled(self) -> bool:
        """A withdrawal notified to take effect later (CSP R. 1470-9)."""
        return self.standing.withdrawal_scheduled

    def revision_of_copy(self, sha256: str) -> CertificateRevision | None:
        """The revision whose sealed PDF has this SHA-256, if any."""
        return next((r for r in self.revisions if r.pdf_sha256 and r.pdf_sha256 == sha256), None)


def verification_of(certificate: Certificate) -> Verification:
    revisions = list(
        CertificateRevision.objects.filter(certificate=certificate)
        .only("id", "number", "kind", "reason", "effective_on", "status", "pdf_id", "pdf_sha256")
        .order_by("number")
    )
    return Verification(certificate, revisions, reservations_of(certificate))


def reservations_of(certificate: Certificate) -> list:
    """The reservations of the decision the certificate rests on (R-DEC-2), in one query (run
    for a certificate without any too, so that every page reads as many)."""
    from guichet.committee.models import Reservation

    return list(Reservation.objects.filter(decision_id=certificate.decision_id or 0))


def reservation_details(reservations) -> list[dict]:
    return [
        {
            "text": r.text,
            "deadline": _iso(r.deadline),
            "status": str(r.status),
            "status_label": str(r.status_label),
            "lifted_on": _iso(r.lifted_on),
            "failed_on": _iso(r.failed_on),
        }
        for r in reservations
    ]


def normalize_sha256(raw: str) -> str:
    """A SHA-256 as tools print it: hexadecimal, any case, maybe followed by the file name
    (`sha256sum`), maybe with spaces (Windows' `certutil` in old versions)."""
    text = (raw or "").strip().split()
    if not text:
        return ""
    first = text[0].lower()
    if SHA256.match(first):
        return first
    return "".join(text).lower()


def _iso(value):
    return value.isoformat() if value else None


def public_data(found: Verification) -> dict:
    """The API's answer (GET /api/v1/certificates/{number}), the page's content too."""
    c = found.certificate
    current = found.current
    standing = found.standing
    return {
        "number": c.number,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "status": c.status,
        "status_label": c.get_status_display(),
        "status_since": _iso(c.status_changed_on),
        "status_reason": c.status_reason,
        "status_summary": standing.summary,
        "state": standing.state,
        "state_label": standing.state_label,
        "withdrawal_ground": c.withdrawal_ground,
        "withdrawal_ground_label": (
            WithdrawalGround(c.withdrawal_ground).label if c.withdrawal_ground else ""
        ),
        "withdrawal_notified_on": _iso(c.withdrawal_notified_on),
        "withdrawal_effective_on": _iso(c.withdrawal_effective_on),
        "product": c.product_name,
        "product_version": c.product_version,
        "modules": [
            {"name": str(m.get("name", "")), "version": str(m.get("version", ""))}
            for m in c.modules or []
        ],
        "referential": c.referential_code,
        "referential_name": c.referential_version.referential.name,
        "referential_version": c.referential_version.number,
        "profiles": [
            {"code": str(p.get("code", "")), "label": str(p.get("label", ""))}
            for p in c.profiles or []
        ],
        "pathway": c.pathway,
        "company": c.company_name,
        "company_id": c.company_id,
        "issued_on": _iso(c.issued_on),
        "term_start": _iso(c.term_start),
        # The last day it is (or was) valid: never a day to come once withdrawn or expired.
        "valid_until": _iso(standing.last_valid_day),
        "next_check": None if standing.is_ended else _iso(c.next_check),
        "reservations": [str(text) for text in c.reservations or []],
        "reservation_details": reservation_details(found.reservations),
        "revision": c.revision,
        "pdf_ready": found.pdf_ready,
        "pdf_sha256": current.pdf_sha256 if found.pdf_ready else None,
        "pdf_url": absolute_reverse("api:certificate-pdf", c.number) if found.pdf_ready else None,
        "verification_url": absolute_reverse("certificates:verify", c.number),
        "register_url": register_url(),
        "revisions": [
            {
                "number": r.number,
                "kind": r.kind,
                "kind_label": r.get_kind_display(),
                "date": _iso(r.effective_on),
                "reason": r.reason,
                "status": r.status,
                "status_label": r.get_status_display(),
                "pdf_sha256": r.pdf_sha256 or None,
            }
            for r in found.revisions
        ],
    }


def register_path() -> str:
    """The public register's page (issue 13 §2), by its name once it is there."""
    try:
        return reverse("certificates:register")
    except NoReverseMatch:
        return REGISTER_PATH


def register_url() -> str:
    return absolute_url(register_path())


# --- Answers kept per revision (issue 24 §1) -----------------------------------------------
# The page and the API change only when the certificate's row does (a revision, a state, its
# PDF: every change writes `updated_at`) or with the day (a withdrawal notified for a later day,
# an expiry). Their answers are kept under a key made of those, so that a lookup costs the
# certificate's row and the kept bytes, and a client that has them gets 304 from their ETag. The
# cache is each process's own memory (CACHES["answers"]): a key read from the database in the
# same request cannot be stale on another node, only missing there.

ANSWERS = "answers"
ANSWER_SECONDS = 24 * 3600
# What stands for the request's CSP nonce in a kept page (each answer gets its own nonce).
NONCE_MARK = "\x00nonce\x00"


def answer_etag(certificate: Certificate, *parts: str) -> str:
    """The strong ETag of an answer about `certificate` (`parts`: what else it depends on)."""
    content = "|".join(
        [
            certificate.number,
            str(certificate.pk),
            str(certificate.revision),
            certificate.updated_at.isoformat() if certificate.updated_at else "",
            timezone.localdate().isoformat(),
            *parts,
        ]
    )
    return '"' + hashlib.sha256(content.encode()).hexdigest()[:32] + '"'


def etag_matches(request, etag: str) -> bool:
    """The client already holds this answer (If-None-Match)."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    return header.strip() == "*" or etag in [tag.strip() for tag in header.split(",")]


def kept_page(etag: str, nonce: str) -> str | None:
    kept = caches[ANSWERS].get("page" + etag)
    return None if kept is None else zlib.decompress(kept).decode().replace(NONCE_MARK, nonce)


def keep_page(etag: str, content: str, nonce: str) -> None:
    caches[ANSWERS].set(
        "page" + etag, zlib.compress(content.replace(nonce, NONCE_MARK).encode()), ANSWER_SECONDS
    )


def kept_public_data(certificate: Certificate, etag: str) -> dict:
    """The API's answer, kept under its ETag."""
    kept = caches[ANSWERS].get("api" + etag)
    if kept is None:
        kept = public_data(verification_of(certificate))
        caches[ANSWERS].set("api" + etag, kept, ANSWER_SECONDS)
    return kept
