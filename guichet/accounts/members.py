"""The Responsable habilité invites and removes the organisation's members (R-ACT-1,
R-ACT-2)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction

from guichet.accounts.models import Organisation, Role, User
from guichet.accounts.security import revoke_token
from guichet.common.errors import ApplicationError
from guichet.common.lengths import length_errors
from guichet.journal.services import record


def members_of(organisation: Organisation):
    return organisation.members.order_by("-is_active", "last_name", "first_name", "email")


def _check_responsible(by: User) -> Organisation:
    if not by.is_applicant_admin:
        raise ApplicationError(
            "Seul le Responsable habilité gère les membres de l'organisation.",
            extra={"status": 403},
        )
    return by.organisation


@transaction.atomic
def invite_member(*, by: User, email: str, first_name: str, last_name: str) -> User:
    """Creates the member's account (or reopens a removed member's) and emails a one-time
    link to choose a password."""
    from guichet.accounts.services import password_link

    organisation = _check_responsible(by)
    email = User.objects.normalize_email((email or "").strip()).lower()
    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = (
            "Saisissez une adresse électronique valide, par exemple nom@entreprise.fr."
        )
    if not (first_name or "").strip():
        errors["first_name"] = "Indiquez le prénom."
    if not (last_name or "").strip():
        errors["last_name"] = "Indiquez le nom."
    errors |= length_errors(
        User,
        {
            # The account's username is its address: the shorter column holds both.
            "username": email,
            "email": email,
            "first_name": (first_name or "").strip(),
            "last_name": (last_name or "").strip(),
        },
    )
    if "username" in errors:
        errors["email"] = errors.pop("username")
    if errors:
        raise ApplicationError(
            "L'invitation n'a pas été envoyée.", extra={"status": 400, "errors": errors}
        )
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing and (existing.organisation_id != organisation.pk or existing.is_active):
        # A well-formed invitation that the accounts already there refuse: a conflict.
        taken = (
            "Cette personne est déjà membre de l'organisation."
            if existing.organisation_id == organisation.pk
            else "Un compte existe déjà pour cette adresse : il ne peut pas rejoindre une autre organisation."
        )
        raise ApplicationError(
            "L'invitation n'a pas été envoyée.", extra={"status": 409, "errors": {"email": taken}}
        )
    if existing:  # a removed member, invited again
        member = existing
        member.is_active = True
        member.first_name, member.last_name = first_name.strip(), last_name.strip()
        member.set_unusable_password()
        member.save()
    else:
        member = User.objects.create_user(
            email=email,
            password=None,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            role=Role.APPLICANT_MEMBER,
            organisation=organisation,
        )
    record(
        action="member.invite",
        obj=member,
        by=by,
        after={"email": member.email, "role": member.role, "organisation": organisation.pk},
    )
    link = password_link(member)
    transaction.on_commit(
        lambda: send_mail(
            f"Guichet — {organisation.name} vous invite",
            f"Bonjour {member.first_name},\n\n{by.get_full_name() or by.email}, Responsable habilité "
            f"de {organisation.name}, vous invite à rejoindre l'organisation sur Guichet, la "
            f"plateforme de certification de l'Agence du numérique en santé.\n\n"
            f"Choisissez votre mot de passe avec ce lien, valable "
            f"{settings.PASSWORD_RESET_TIMEOUT // 86400} jours et utilisable une seule fois :\n"
            f"{link}\n\nVotre identifiant : {member.email}\n",
            None,
            [member.email],
        )
    )
    return member


@transaction.atomic
def remove_member(*, by: User, member: User) -> None:
    """The member loses access at once: the account is deactivated (kept for the journal)
    and its API token revoked; an open session is refused at its next request, since the
    authentication backends turn inactive users away."""
    organisation = _check_responsible(by)
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.organisation_id != organisation.pk:
        raise ApplicationError("Membre introuvable.", extra={"status": 404})
    if member.pk == by.pk:
        raise ApplicationError(
            "Le Responsable habilité ne peut pas se retirer lui-même : pour le changer, "
            "écrivez au support de l'agence.",
            extra={"status": 400},
        )
    if not member.is_active:
        raise ApplicationError("Ce membre a déjà été retiré.")
    member.is_active = False
    member.save(update_fields=["is_active"])
    record(
        action="member.remove",
        obj=member,
        by=by,
        before={"email": member.email, "active": True},
        after={"active": False},
    )
    revoke_token(member, by=by, reason="member_removed")
