"""PAdES signatures with pyHanko (R-CONV-3): the agency's certificate seals the PDF, with the
signer's name, the reason and the signing time inside the signature."""

from __future__ import annotations

import asyncio
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from guichet.signing.keys import agency_signer


def seal(
    source: BinaryIO, output: BinaryIO, *, name: str, reason: str, location: str = "Paris"
) -> None:
    """Appends a PAdES signature (incremental update) to the PDF read from `source`."""
    writer = IncrementalPdfFileWriter(source)
    meta = signers.PdfSignatureMetadata(
        field_name="SignatureGuichet",
        name=name,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    from guichet.signing.registry import remember_current

    signer = agency_signer()
    remember_current()
    sign = partial(
        signers.sign_pdf,
        writer,
        meta,
        signer=signer,
        output=output,
        bytes_reserved=reserved_bytes(signer),
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        sign()
    else:
        # pyHanko signs through asyncio.run, which refuses to start inside a running event
        # loop (an async view, a browser driven from this thread): sign in another thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(sign).result()


# Beyond the certificates: the signature value, the signed attributes and the CMS structure
# (about 2.6 KiB with RSA 4096 and the signing certificate's attributes), doubled for safety.
SIGNATURE_OVERHEAD = 6144


def reserved_bytes(signer: signers.SimpleSigner) -> int:
    """Room for the signature container in the PDF — hexadecimal, two characters per byte —
    from the certificates it embeds: pyHanko otherwise estimates it by signing a first time, a
    fifth of each seal's time. (A timestamp token would need room for the authority's chain.)"""
    certificates = [signer.signing_cert, *signer.cert_registry]
    return 2 * (SIGNATURE_OVERHEAD + sum(len(certificate.dump()) for certificate in certificates))


def sealed_upload(pdf: BinaryIO, file_name: str, *, name: str, reason: str):
    """The PDF sealed by the agency, as an upload ready to be kept (`files.services.commit`)."""
    from guichet.files.uploads import upload_from_stream

    with tempfile.TemporaryFile() as sealed:
        seal(pdf, sealed, name=name, reason=reason)
        sealed.seek(0)
        return upload_from_stream(sealed, file_name)
