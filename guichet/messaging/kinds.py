"""The kinds of notices the platform sends (R-MSG-1), one small registered class each, as
les-emplois' notifications.py does: who they are for, whether they are legal notices (always
emailed, whatever the person's choices), what people read about them on their preferences page,
and where the in-app notification leads."""

from __future__ import annotations

from django.urls import reverse

APPLICANT = "applicant"
INSTRUCTORS = "instructors"

# (audience, key) -> the class: « message » is a kind on both sides.
KINDS: dict[tuple[str, str], type[Kind]] = {}


def register(kind: type[Kind]) -> type[Kind]:
    KINDS[kind.audience, kind.key] = kind
    return kind


class Kind:
    key = ""
    audience = APPLICANT
    label = ""
    description = ""
    # A legal notice (CSS R. 165-5-2, CSP R. 1470-2, the decision): always emailed.
    legal = False
    # A line of the email that says why it came (a legal notice, a choice that can change).
    template = "messaging/email/notice"

    @classmethod
    def link(cls, application) -> str:
        """Where the in-app notification and the email lead (a path)."""
        return reverse("applications:detail", args=[application.pk])


def notice_link(kind: type[Kind], application, certificate: str = "") -> str:
    """Where a notice leads (a path): the certificate's page for a notice about a certificate
    — the holder's page for the applicant, the agency's for its agents (issue 22 §2) — else
    the kind's own page of the application."""
    if certificate:
        name = "certificates:manage" if kind.audience == APPLICANT else "certificates:agency-detail"
        return reverse(name, args=[certificate])
    return kind.link(application)


def kind_of(key: str, audience: str) -> type[Kind]:
    """A kind by its key; a key no class declares takes its audience's generic kind, so that a
    stage's notice is never lost for a missing class."""
    found = KINDS.get((audience, key))
    if found is not None:
        return found
    return Work if audience == INSTRUCTORS else Generic


def kinds_for(user) -> list[type[Kind]]:
    """The kinds a person may receive: the agency's for agency roles, the applicant's else."""
    audience = INSTRUCTORS if user.is_agency else APPLICANT
    return [kind for kind in KINDS.values() if kind.audience == audience]


# --- the applicant's ---------------------------------------------------------------------------


@register
class Message(Kind):
    key = "message"
    label = "Nouveau message de l'agence"
    description = "Un message de l'agence dans la messagerie d'une candidature."
    template = "messaging/email/message"

    @classmethod
    def link(cls, application) -> str:
        return reverse("messaging:thread", args=[application.pk])


@register
class InformationRequest(Kind):
    key = "information_request"
    label = "Demande d'information"
    description = "Une demande d'information de l'instructeur (le délai peut être suspendu)."
    legal = True

    @classmethod
    def link(cls, application) -> str:
        return reverse("applications:detail", args=[application.pk]) + "#echanges"


@register
class MissingItems(Kind):
    key = "missing_items"
    label = "Pièces manquantes"
    description = "La liste des pièces manquantes et la date limite pour les fournir."
    legal = True

    @classmethod
    def link(cls, application) -> str:
        return reverse("applications:detail", args=[application.pk]) + "#echanges"


@register
class Verdicts(Kind):
    key = "verdicts"
    label = "Avis sur les preuves"
    description = "Les preuves jugées non conformes ou à préciser pendant l'instruction."


@register
class Decision(Kind):
    key = "decision"
    label = "Décision"
    description = "La décision du collège technique (ou l'acceptation tacite) et sa lettre."
    legal = True


@register
class CertificateNotice(Kind):
    key = "certificate"
    label = "Certificat"
    description = (
        "Le certificat de conformité : délivrance, reconduction, suspension, retrait, mise en "
        "demeure, nouvelle version du référentiel."
    )
    legal = True


@register
class Reminder(Kind):
    key = "reminder"
    label = "Relance"
    description = "Une relance quand une demande attend votre réponse."


@register
class Convention(Kind):
    key = "convention"
    label = "Convention"
    description = "La convention à signer, puis signée et scellée par l'agence."


@register
class Acknowledgment(Kind):
    key = "acknowledgment"
    label = "Accusé de réception"
    description = "L'accusé de réception du dossier complet, qui fait courir le délai."
    legal = True


@register
class Admissibility(Kind):
    key = "admissibility"
    label = "Recevabilité"
    description = "L'examen de la recevabilité : éléments à corriger, candidature recevable."


@register
class Generic(Kind):
    key = "application"
    label = "Suivi de la candidature"
    description = "Les autres étapes : soumission, journée de tests INS, abandon…"


# --- the agency's ------------------------------------------------------------------------------


@register
class AgencyMessage(Kind):
    key = "message"
    audience = INSTRUCTORS
    label = "Nouveau message d'un candidat"
    description = "Un message d'un candidat ou une note interne sur une candidature instruite."
    template = "messaging/email/message"

    @classmethod
    def link(cls, application) -> str:
        return reverse("messaging:thread", args=[application.pk])


@register
class Assignment(Kind):
    key = "assignment"
    audience = INSTRUCTORS
    label = "Instruction attribuée"
    description = "Une candidature vous est attribuée comme instructeur référent."


@register
class Work(Kind):
    key = "work"
    audience = INSTRUCTORS
    label = "Travail à faire"
    description = "Une candidature à examiner, une réponse du candidat, une alerte de délai."
