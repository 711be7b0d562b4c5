"""What a granted decision calls beyond the collège: the certificate (R-CRT-1), which the
certificates app issues (`certificates.issue(decision)`, next issue). Until that app exists, the
decision records that a certificate is due, so that none is forgotten once it comes."""

from __future__ import annotations

from guichet.journal.services import record


def issue_certificate(decision) -> dict:
    """Called once, in the transaction of the sign-off of a granted decision; returns what to
    add to the journal entry of the decision."""
    try:
        from guichet.certificates import issue
    except ImportError:
        decision.certificate_due = True
        decision.save(update_fields=["certificate_due"])
        record(
            action="committee.certificate_due",
            obj=decision,
            by=decision.signed_off_by,
            application_id=decision.application_id,
            after={"decision": decision.pk, "certificate_due": True},
        )
        return {"certificate_due": True}
    issue(decision)
    return {"certificate": "issued"}
