"""What a granted decision calls beyond the collège: the certificate (R-CRT-1), issued by the
certificates app in the transaction of the sign-off."""

from __future__ import annotations


def issue_certificate(decision) -> dict:
    """Called once, in the transaction of the sign-off of a granted decision; returns what to
    add to the journal entry of the decision."""
    from guichet.certificates import issue

    certificate = issue(decision)
    return {"certificate": certificate.number}


def exceptional_problem(application) -> str | None:
    """Why the collège cannot grant the TLC exceptional certificate now (R-CRT-4), or None."""
    from guichet.certificates.exceptional import decision_refusal

    return decision_refusal(application)
