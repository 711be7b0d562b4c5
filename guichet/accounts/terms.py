"""Versioned terms of use (CGU) and their acceptance (R-ACC-2)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from guichet.accounts.models import TermsAcceptance, TermsOfUse, User
from guichet.common.errors import ApplicationError
from guichet.common.lengths import length_errors
from guichet.journal.services import record


def current_terms() -> TermsOfUse | None:
    return TermsOfUse.objects.order_by("-published_at", "-id").first()


def has_accepted(user: User, terms: TermsOfUse) -> bool:
    return TermsAcceptance.objects.filter(user=user, terms=terms).exists()


@transaction.atomic
def publish_terms(*, version: str, text: str, by: User) -> TermsOfUse:
    """A new version: every user accepts it at their next visit."""
    errors = {}
    if not version.strip():
        errors["version"] = "Indiquez le numéro de version."
    elif TermsOfUse.objects.filter(version=version.strip()).exists():
        errors["version"] = "Cette version existe déjà : choisissez un autre numéro."
    if not text.strip():
        errors["text"] = "Le texte des conditions générales d'utilisation est vide."
    errors |= length_errors(TermsOfUse, {"version": version.strip()})
    if errors:
        raise ApplicationError(
            "Les CGU n'ont pas été publiées.", extra={"status": 400, "errors": errors}
        )
    terms = TermsOfUse.objects.create(version=version.strip(), text=text.strip(), published_by=by)
    record(action="terms.publish", obj=terms, by=by, after={"version": terms.version})
    return terms


@transaction.atomic
def accept_terms(*, user: User, terms: TermsOfUse) -> TermsAcceptance:
    """Keeps who accepted which version, and when; accepting twice keeps the first time."""
    existing = TermsAcceptance.objects.filter(user=user, terms=terms).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            acceptance = TermsAcceptance.objects.create(user=user, terms=terms)
    except IntegrityError:  # a concurrent click accepted it first
        return TermsAcceptance.objects.get(user=user, terms=terms)
    record(
        action="terms.accept",
        obj=acceptance,
        by=user,
        organisation=str(user.organisation_id or ""),
        after={"version": terms.version, "accepted_at": acceptance.accepted_at.isoformat()},
    )
    return acceptance
