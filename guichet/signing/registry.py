"""The seal certificates the agency has used (issue 24 §4): the one in GUICHET_SIGNING_P12 is
recorded the first time it seals, with its chain; replacing the PKCS#12 starts a new one. Acts
sealed before stay valid and verifiable: the public PKI files (/pki/) and the checkpoints'
verifier know every certificate ever used."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from guichet.signing.keys import agency_certificates, agency_signer


def is_authority(certificate: x509.Certificate) -> bool:
    """A CA certificate (BasicConstraints ca=True), not a seal."""
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def _pem(certificates) -> str:
    return "".join(c.public_bytes(Encoding.PEM).decode() for c in certificates)


def current_fingerprint() -> str:
    """The SHA-256 of the seal certificate in service (no query)."""
    return hashlib.sha256(agency_signer().signing_cert.dump()).hexdigest()


def remember_current() -> str:
    """Records the current seal certificate if it is new; its fingerprint. Runs inside the
    caller's transaction: kept with the act it seals, or not at all (one indexed query when it
    is known: a restored database, a test's rolled-back one, are asked again)."""
    from guichet.signing.models import SealCertificate

    key = current_fingerprint()
    if not SealCertificate.objects.filter(fingerprint=key).exists():
        certificate, chain = agency_certificates()
        SealCertificate.objects.get_or_create(
            fingerprint=key,
            defaults={
                "subject": certificate.subject.rfc4514_string(),
                "issuer": certificate.issuer.rfc4514_string(),
                "serial": format(certificate.serial_number, "x"),
                "not_before": certificate.not_valid_before_utc,
                "not_after": certificate.not_valid_after_utc,
                "certificate_pem": _pem([certificate]),
                "chain_pem": _pem(chain),
            },
        )
    return key


def known_certificates() -> list[x509.Certificate]:
    """Every seal certificate ever used — the one in service included — and the CAs of their
    chains, the current ones first, each once."""
    from guichet.signing.models import SealCertificate

    found: dict[bytes, x509.Certificate] = {}
    current, chain = agency_certificates()
    for certificate in [current, *chain]:
        found.setdefault(certificate.public_bytes(Encoding.DER), certificate)
    for row in SealCertificate.objects.all():
        for certificate in x509.load_pem_x509_certificates(
            (row.certificate_pem + row.chain_pem).encode()
        ):
            found.setdefault(certificate.public_bytes(Encoding.DER), certificate)
    return list(found.values())


def chain_pem() -> str:
    return _pem(known_certificates())


def seals_for_pages() -> list:
    """The seal certificates, the one in service first, each marked `in_service`: for the
    public pages (one query once the current one is recorded)."""
    from guichet.signing.models import SealCertificate

    current = remember_current()
    rows = list(SealCertificate.objects.all())
    rows.sort(key=lambda row: (row.fingerprint != current, -row.first_used_at.timestamp()))
    for row in rows:
        row.in_service = row.fingerprint == current
    return rows
