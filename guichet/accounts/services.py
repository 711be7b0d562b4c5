"""Company account requests (R-ACC-1, R-ACC-2, R-ACT-2)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from guichet.accounts.identifiers import IdentifierError, parse_company_id, parse_phone
from guichet.accounts.models import (
    Organisation,
    RegistrationRequest,
    RegistrationStatus,
    Role,
    User,
)
from guichet.common.errors import ApplicationError
from guichet.journal.services import record

SUPPORT_CONTACT = "ans-support-convergence@esante.gouv.fr"
PERSON_FIELDS = ("first_name", "last_name", "email", "phone")


class RegistrationInvalid(ApplicationError):
    """Every wrong field of a request, each with its own French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(
            "La demande contient des erreurs : " + " ".join(errors.values()),
            extra={"status": 400, "errors": {k: [v] for k, v in errors.items()}},
        )
        self.errors = errors


def _already_represented(siren: str, vat: str) -> bool:
    organisations = Organisation.objects.filter(Q(siren=siren) if siren else Q(vat_number=vat))
    pending = RegistrationRequest.objects.filter(status=RegistrationStatus.PENDING).filter(
        Q(siren=siren) if siren else Q(company_id=vat)
    )
    return organisations.exists() or pending.exists()


@transaction.atomic
def submit_registration(*, data: dict) -> RegistrationRequest:
    """Check every field before anything is stored (R-ACC-1); refuse a company already
    represented, also when it comes as a SIRET of the same company (R-ACT-2)."""
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    if not (data.get("company_name") or "").strip():
        errors["company_name"] = "Indiquez la raison sociale de l'entreprise."
    clean["company_name"] = (data.get("company_name") or "").strip()
    company = None
    try:
        company = parse_company_id(data.get("company_id", ""))
    except IdentifierError as exc:
        errors["company_id"] = str(exc)
    for person, label in (("responsible", "du responsable"), ("legal_rep", "du mandataire social")):
        for name in PERSON_FIELDS:
            key = f"{person}_{name}"
            value = (data.get(key) or "").strip()
            if not value:
                errors[key] = {
                    "first_name": f"Indiquez le prénom {label}.",
                    "last_name": f"Indiquez le nom {label}.",
                    "email": f"Indiquez l'adresse électronique {label}.",
                    "phone": f"Indiquez le téléphone {label}.",
                }[name]
                continue
            if name == "email":
                from django.core.validators import validate_email

                try:
                    validate_email(value)
                except Exception:
                    errors[key] = f"L'adresse électronique {label} n'est pas valide."
                    continue
                value = value.lower()
            if name == "phone":
                try:
                    value = parse_phone(value)
                except IdentifierError as exc:
                    errors[key] = f"{exc} ({label.removeprefix('du ')})"
                    continue
            clean[key] = value
    if (
        "responsible_email" in clean
        and User.objects.filter(email=clean["responsible_email"]).exists()
    ):
        errors["responsible_email"] = "Un compte existe déjà avec cette adresse électronique."
    if company is not None and _already_represented(company.siren, company.value):
        errors["company_id"] = (
            "Cette entreprise est déjà représentée sur Guichet par un Responsable habilité. "
            f"Pour toute question, écrivez au support : {SUPPORT_CONTACT}."
        )
    if errors:
        raise RegistrationInvalid(errors)
    registration = RegistrationRequest.objects.create(
        company_id_kind=company.kind, company_id=company.value, siren=company.siren, **clean
    )
    record(
        action="registration.submit",
        obj=registration,
        after={"company_id": company.value, "company_name": clean["company_name"]},
    )
    return registration


def _lock_pending(registration: RegistrationRequest) -> RegistrationRequest:
    """The request, locked against a concurrent decision; refused if already decided."""
    registration = RegistrationRequest.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        raise ApplicationError("Cette demande a déjà été traitée.")
    return registration


def _decide(registration: RegistrationRequest, *, by: User, status: str, journal: dict) -> None:
    registration.status = status
    registration.decided_at = timezone.now()
    registration.decided_by = by
    registration.save()
    record(
        action=f"registration.{'approve' if status == RegistrationStatus.APPROVED else 'reject'}",
        obj=registration,
        by=by,
        before={"status": RegistrationStatus.PENDING.value},
        after={"status": status, **journal},
    )


def password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:set-password", args=[uid, token])
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def approve_registration(registration: RegistrationRequest, *, by: User) -> User:
    registration = _lock_pending(registration)
    organisation = Organisation.objects.create(
        name=registration.company_name,
        siren=registration.siren or None,
        vat_number=None if registration.siren else registration.company_id,
    )
    user = User.objects.create_user(
        email=registration.responsible_email,
        password=None,
        first_name=registration.responsible_first_name,
        last_name=registration.responsible_last_name,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
    )
    registration.organisation = organisation
    _decide(
        registration,
        by=by,
        status=RegistrationStatus.APPROVED,
        journal={"organisation": organisation.pk},
    )
    link = password_link(user)
    transaction.on_commit(
        lambda: send_mail(
            "Guichet — votre compte entreprise est ouvert",
            f"Bonjour {user.first_name},\n\nLa demande de compte de {organisation.name} a été validée "
            f"par l'Agence du numérique en santé.\n\nChoisissez votre mot de passe avec ce lien, "
            f"valable {settings.PASSWORD_RESET_TIMEOUT // 86400} jours et utilisable une seule fois :\n"
            f"{link}\n\nVotre identifiant : {user.email}\n",
            None,
            [user.email],
        )
    )
    return user


@transaction.atomic
def reject_registration(registration: RegistrationRequest, *, by: User, reason: str) -> None:
    registration = _lock_pending(registration)
    if not reason.strip():
        raise ApplicationError("Indiquez le motif du refus.", field="reason", extra={"status": 400})
    registration.rejection_reason = reason.strip()
    _decide(
        registration,
        by=by,
        status=RegistrationStatus.REJECTED,
        journal={"reason": registration.rejection_reason},
    )
    email = registration.responsible_email
    transaction.on_commit(
        lambda: send_mail(
            "Guichet — votre demande de compte entreprise",
            f"Bonjour,\n\nLa demande de compte de {registration.company_name} n'a pas été validée.\n\n"
            f"Motif : {reason.strip()}\n\nPour toute question : {SUPPORT_CONTACT}\n",
            None,
            [email],
        )
    )
