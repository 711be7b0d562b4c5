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
    sign = partial(signers.sign_pdf, writer, meta, signer=agency_signer(), output=output)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        sign()
    else:
        # pyHanko signs through asyncio.run, which refuses to start inside a running event
        # loop (an async view, a browser driven from this thread): sign in another thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(sign).result()


def sealed_upload(pdf: BinaryIO, file_name: str, *, name: str, reason: str):
    """The PDF sealed by the agency, as an upload ready to be kept (`files.services.commit`)."""
    from guichet.files.uploads import upload_from_stream

    with tempfile.TemporaryFile() as sealed:
        seal(pdf, sealed, name=name, reason=reason)
        sealed.seek(0)
        return upload_from_stream(sealed, file_name)
