"""Helpers of the issuance tests (issue 13 §1): a decision on appeal signed off the way the
agency does it, from the application page, with what waits for the commit run (the PDF)."""

from __future__ import annotations

import datetime as dt
import subprocess

from guichet.committee import services
from tests.conftest import committed
from tests.instruction.instruction_world import on

__all__ = ["on_appeal", "pdf_text", "pdfsig"]


def on_appeal(
    application,
    *,
    by,
    day: dt.date,
    outcome: str = "granted",
    reservations=(),
    reasons: str = "Recours gracieux du titulaire : les réserves sont levées au vu des pièces.",
):
    """A decision on appeal recorded and signed off on `day`; returns it."""
    with on(day), committed():
        decision = services.record_appeal_decision(
            by=by,
            application=application,
            outcome=outcome,
            reasons=reasons,
            reservations=list(reservations),
        )
        decision = services.sign_off(decision, by=by)
    application.refresh_from_db()
    return decision


def pdf_text(path) -> str:
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
