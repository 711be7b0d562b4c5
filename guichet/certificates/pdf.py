"""The certificate's PDF (R-CRT-1, R-CRT-9): written for each revision and sealed by the
agency (PAdES). Filled by the issuance work of issue 13 §1."""

from __future__ import annotations


def produce_revision_pdf(revision_id: int) -> None:
    """The task worker's part: the revision's PDF, sealed, kept; idempotent."""
    return None
