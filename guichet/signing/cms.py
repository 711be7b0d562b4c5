"""Detached CMS signatures (CAdES-BES, the family of the PAdES seals on our PDFs) over small
documents, with the agency's certificate (R-AUD-1: the journal's checkpoints).

Anyone holding the agency's public certificate checks such a signature without us:
`openssl cms -verify -binary -inform DER -in DOC.p7s -content DOC -CAfile ca.pem -purpose any`.
"""

from __future__ import annotations

import asyncio
import hashlib

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.utils.translation import gettext as _
from pyhanko.sign.general import extract_certificate_info, extract_signer_info
from pyhanko.sign.validation.generic_cms import validate_sig_integrity

from guichet.signing.keys import agency_signer


class InvalidSeal(Exception):
    """The signature does not prove that the agency signed these very bytes; the message is
    French and says why."""


def sign_detached(data: bytes) -> bytes:
    """The DER of a detached CMS signature of `data` by the agency's key."""
    from guichet.signing.registry import remember_current

    signer = agency_signer()
    remember_current()
    # pyHanko's generic signing API is asynchronous; nothing else runs in this loop.
    content_info = asyncio.run(
        signer.async_sign_general_data(data, "sha256", detached=True, use_cades=True)
    )
    return content_info.dump()


class SealVerifier:
    """Checks detached signatures against the agency's trust anchors: every seal certificate it
    has used (signing.registry), or any certificate issued by a CA of their chains (so that
    checkpoints signed before a renewal or a replacement of the certificate still verify)."""

    def __init__(self):
        from guichet.signing.registry import is_authority, known_certificates

        known = known_certificates()  # every seal used, the one in service and those before
        self._seals = {cert for cert in known if not is_authority(cert)}
        self._issuers = [cert for cert in known if is_authority(cert)]
        self._trusted: dict[bytes, bool] = {}

    def verify(self, data: bytes, signature: bytes) -> None:
        """Raises InvalidSeal unless `signature` is the agency's over exactly `data`."""
        try:
            signed_data = cms.ContentInfo.load(signature)["content"]
            signer_info = extract_signer_info(signed_data)
            signer_cert = extract_certificate_info(signed_data).signer_cert
            digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
            digest = hashlib.new(digest_algorithm, data).digest()
            intact, valid = validate_sig_integrity(signer_info, signer_cert, "data", digest)
        # pyHanko's structural and validation errors are ValueErrors.
        except (ValueError, TypeError, KeyError, NotImplementedError):
            raise InvalidSeal(_("signature illisible ou d'un format inattendu")) from None
        if not intact:
            raise InvalidSeal(_("le contenu ne correspond plus à ce qui a été signé"))
        if not valid:
            raise InvalidSeal(_("la signature elle-même est fausse"))
        if not self._is_trusted(signer_cert.dump()):
            raise InvalidSeal(_("le signataire n'est pas le certificat de cachet de l'agence"))

    def _is_trusted(self, der: bytes) -> bool:
        if der not in self._trusted:
            self._trusted[der] = self._issued_by_agency(x509.load_der_x509_certificate(der))
        return self._trusted[der]

    def _issued_by_agency(self, certificate: x509.Certificate) -> bool:
        if certificate in self._seals:
            return True
        for issuer in self._issuers:
            try:
                certificate.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return True
        return False
