"""Company account requests (R-ACC-1, R-ACC-2, R-ACT-2)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from guichet.accounts.identifiers import (
    CompanyId,
    IdentifierError,
    parse_company_id,
    parse_phone,
)
from guichet.accounts.models import (
    Organisation,
    RegistrationRequest,
    RegistrationStatus,
    Role,
    User,
)
from guichet.accounts.ratelimits import consume_registration, french_delay
from guichet.common.errors import ApplicationError
from guichet.common.lengths import length_errors
from guichet.common.links import absolute_url
from guichet.journal.services import record

SUPPORT_CONTACT = "ans-support-convergence@esante.gouv.fr"
PERSON_FIELDS = ("first_name", "last_name", "email", "phone")
INPUT_FIELDS = ("company_name", "company_id") + tuple(
    f"{person}_{name}" for person in ("responsible", "legal_rep") for name in PERSON_FIELDS
)


class RegistrationInvalid(ApplicationError):
    """Every wrong field of a request, each with its own French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(
            "La demande contient des erreurs : " + " ".join(errors.values()),
            extra={"status": 400, "errors": {k: [v] for k, v in errors.items()}},
        )
        self.errors = errors


class RegistrationThrottled(ApplicationError):
    """Too many requests from one client or for one address: nothing is stored nor sent."""

    def __init__(self, retry_after: int):
        super().__init__(
            "Trop de demandes de compte ont été envoyées depuis votre connexion ou pour cette "
            f"adresse électronique : réessayez dans {french_delay(retry_after)}.",
            extra={"status": 429},
        )
        self.retry_after = retry_after


# The one answer to every well-formed request: whether the address already has an account or
# the company is already represented is told by email, to the address given (R-ACT-2).
REGISTRATION_RECEIVED = (
    "Demande reçue. Le support de l'agence l'examine : vous recevrez un courriel à l'adresse "
    "indiquée pour le responsable, avec le lien pour choisir votre mot de passe si la demande est "
    "validée, ou la raison de son refus."
)


def company_is_represented(company: CompanyId) -> bool:
    """An organisation, or a request awaiting the agency's decision, already holds this
    company, also when it comes as a SIRET or a French VAT number of the same SIREN (R-ACT-2)."""
    organisations = Organisation.objects.filter(
        Q(siren=company.siren) if company.siren else Q(vat_number=company.value)
    )
    pending = RegistrationRequest.objects.filter(status=RegistrationStatus.PENDING).filter(
        Q(siren=company.siren) if company.siren else Q(company_id=company.value)
    )
    return organisations.exists() or pending.exists()


def _validated_registration(data: dict) -> tuple[dict[str, str], CompanyId]:
    """Every field checked before anything is stored (R-ACC-1); these checks tell nothing
    about who is on the platform."""
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
                try:
                    validate_email(value)
                except ValidationError:
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
    # A value longer than its column is refused as such, whatever else is wrong with it.
    errors |= length_errors(
        RegistrationRequest, {field: (data.get(field) or "").strip() for field in INPUT_FIELDS}
    )
    if errors:
        raise RegistrationInvalid(errors)
    return clean, company


def submit_registration(request: HttpRequest, *, data: dict) -> None:
    """A company account request (R-ACC-1). Wrong fields are refused at once; then the request
    counts against the throttle of its client and of its responsible's address; then it is
    stored for the agency, or, when the address already has an account or the company is
    already represented (R-ACT-2), stored as refused. Either way the caller gives the same
    answer, REGISTRATION_RECEIVED, and the requester learns the outcome by email."""
    clean, company = _validated_registration(data)
    wait = consume_registration(request, email=clean["responsible_email"])
    if wait:
        raise RegistrationThrottled(wait)
    _store_registration(clean, company)


@transaction.atomic
def _store_registration(clean: dict[str, str], company: CompanyId) -> RegistrationRequest:
    if User.objects.filter(email__iexact=clean["responsible_email"]).exists():
        refusal, mail = "account_exists", _account_exists_mail(clean)
    elif company_is_represented(company):
        refusal, mail = "company_represented", _company_represented_mail(clean)
    else:
        refusal, mail = "", _received_mail(clean)
    registration = RegistrationRequest(
        company_id_kind=company.kind, company_id=company.value, siren=company.siren, **clean
    )
    if refusal:
        registration.status = RegistrationStatus.REJECTED
        registration.decided_at = timezone.now()
        registration.rejection_reason = AUTOMATIC_REFUSALS[refusal]
    registration.save()
    record(
        action="registration.submit",
        obj=registration,
        after={
            "company_id": company.value,
            "company_name": clean["company_name"],
            "status": registration.status,
            **({"refused": refusal} if refusal else {}),
        },
    )
    subject, body = mail
    transaction.on_commit(lambda: send_mail(subject, body, None, [clean["responsible_email"]]))
    if not refusal:
        _tell_support(registration)
    return registration


def _tell_support(registration: RegistrationRequest) -> None:
    """The agency's support (and its administrators) learn of a request to examine, by email
    after the commit; their work page counts those pending (issue 14 §2)."""
    staff = list(
        User.objects.filter(role__in=(Role.SUPPORT, Role.AGENCY_ADMIN), is_active=True).values_list(
            "email", flat=True
        )
    )
    if not staff:
        return
    link = absolute_url(reverse("accounts:registration-queue"))
    subject = f"Guichet — nouvelle demande de compte : {registration.company_name}"
    body = (
        f"Une demande de compte entreprise attend votre examen : {registration.company_name} "
        f"({registration.company_id}), responsable {registration.responsible_first_name} "
        f"{registration.responsible_last_name}.\n\nLes demandes en attente : {link}\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, staff))


# Requests refused without the agency, kept for the support (who may be asked about them).
AUTOMATIC_REFUSALS = {
    "account_exists": "Un compte existe déjà pour l'adresse électronique du responsable.",
    "company_represented": (
        "Entreprise déjà représentée par un Responsable habilité, ou dont une demande est déjà "
        "en attente (une entreprise, un responsable)."
    ),
}


def _received_mail(clean: dict[str, str]) -> tuple[str, str]:
    return (
        "Guichet — votre demande de compte entreprise est reçue",
        f"Bonjour {clean['responsible_first_name']},\n\n"
        f"La demande de compte de {clean['company_name']} est enregistrée. L'Agence du numérique "
        "en santé va l'examiner : vous recevrez un courriel dès qu'elle sera traitée.\n\n"
        f"Pour toute question : {SUPPORT_CONTACT}\n",
    )


def _account_exists_mail(clean: dict[str, str]) -> tuple[str, str]:
    reset = absolute_url(reverse("account_reset_password"))
    return (
        "Guichet — votre demande de compte entreprise",
        f"Bonjour {clean['responsible_first_name']},\n\n"
        f"Vous avez demandé un compte entreprise pour {clean['company_name']}, mais un compte "
        "Guichet existe déjà pour cette adresse électronique : aucune nouvelle demande n'est "
        "enregistrée.\n\n"
        f"Connectez-vous avec ce compte. Si vous avez oublié votre mot de passe, choisissez-en un "
        f"nouveau ici :\n{reset}\n\n"
        f"Pour toute question : {SUPPORT_CONTACT}\n",
    )


def _company_represented_mail(clean: dict[str, str]) -> tuple[str, str]:
    return (
        "Guichet — votre demande de compte entreprise",
        f"Bonjour {clean['responsible_first_name']},\n\n"
        f"Vous avez demandé un compte entreprise pour {clean['company_name']}. Cette entreprise "
        "est déjà représentée sur Guichet par un Responsable habilité, ou une demande de compte "
        "est déjà en attente pour elle : une entreprise n'a qu'un Responsable habilité, aucune "
        "nouvelle demande n'est donc enregistrée.\n\n"
        "Pour travailler sur Guichet au nom de cette entreprise, demandez à son Responsable "
        "habilité de vous inviter comme membre. Pour changer de Responsable habilité, ou pour "
        f"toute autre question, écrivez au support de l'agence : {SUPPORT_CONTACT}\n",
    )


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
    return absolute_url(path)


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
