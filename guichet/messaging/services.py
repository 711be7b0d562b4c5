"""Writes of the messaging (R-MSG-1): a message or an internal note on an application's thread,
read marks, notifications read, each person's email choices — and `deliver`, the platform's
notifier: every notice of every stage (notify_applicant, notify_instructors) comes through
here, becomes in-app notifications and ONE email sent by the task worker after the commit."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone

from guichet.accounts.models import Role, User
from guichet.applications.models import Application
from guichet.applications.notifications import (
    Notice,
    instructor_recipients,
    notify_applicant,
    recipients,
)
from guichet.common.errors import ApplicationError
from guichet.common.tasks import enqueue_on_commit
from guichet.files.services import attach_all, commit
from guichet.journal.services import record
from guichet.messaging import kinds
from guichet.messaging.models import EmailPreference, Message, MessageFile, Notification, ThreadRead
from guichet.messaging.selectors import visible_messages

BODY_LIMIT = 20_000
TITLE_LIMIT = 255


# --- who writes ------------------------------------------------------------------------------


def write_refusal(user, application: Application, *, internal: bool = False) -> str | None:
    """Why `user` may not write on this thread, or None. The page and the API found the
    application through `get_application` (another organisation's answers 404 before)."""
    if not user.is_active:
        return "Votre compte est désactivé."
    if internal and not user.is_agency:
        return (
            "Les notes internes sont réservées aux agents de l'agence : écrivez un message, "
            "l'agence le lira."
        )
    if user.is_agency or user.organisation_id == application.organisation_id:
        return None
    return "Seuls les membres de l'organisation candidate et l'agence écrivent sur ce fil."


def require_writer(user, application: Application, *, internal: bool = False) -> None:
    """Decided before a body is read (the files of a message stream afterwards)."""
    refused = write_refusal(user, application, internal=internal)
    if refused:
        raise ApplicationError(refused, extra={"status": 403})


def _body(value) -> str:
    if value is not None and not isinstance(value, str):
        raise ApplicationError("Écrivez le message en texte.", field="body", extra={"status": 400})
    text = (value or "").strip()
    if not text:
        raise ApplicationError(
            "Écrivez votre message : le texte est vide.", field="body", extra={"status": 400}
        )
    if len(text) > BODY_LIMIT:
        raise ApplicationError(
            f"Un message fait au plus {BODY_LIMIT} caractères (reçu : {len(text)}) : "
            "envoyez-le en plusieurs fois, ou joignez un fichier.",
            field="body",
            extra={"status": 400},
        )
    return text


# --- messages --------------------------------------------------------------------------------


def post_message(
    *, by: User, application: Application, body, internal: bool = False, uploads=()
) -> Message:
    """A message on the application's thread, with its files (type-checked, every one kept or
    none), or an agency internal note. The author has read the thread up to it; the other side
    is notified (an internal note: the application's other instructors)."""
    require_writer(by, application, internal=internal)
    text = _body(body)
    with transaction.atomic():
        message = Message.objects.create(
            application=application, author=by, body=text, internal=internal
        )
        files = attach_all(
            uploads or (),
            lambda upload: MessageFile.objects.create(message=message, file=commit(upload, by=by)),
        )
        _mark(by, application, message.pk)
        described = [
            {"name": f.file.original_name, "sha256": f.file.sha256, "size": f.file.size}
            for f in files
        ]
        # An internal note stays out of the application's journal, which its applicant reads.
        record(
            action="messaging.note" if internal else "messaging.message",
            obj=message,
            by=by,
            application_id="" if internal else application.pk,
            after={"application": application.reference, "files": described},
        )
        _notify(message, [f["name"] for f in described])
    return message


def _author_name(user: User) -> str:
    name = user.get_full_name() or user.email
    return f"{name} (Agence du numérique en santé)" if user.is_agency else name


def _notify(message: Message, names: list[str]) -> None:
    application, author = message.application, message.author
    attached = f"\n\nPièces jointes : {', '.join(names)}." if names else ""
    if message.internal:
        deliver(
            Notice(
                application,
                kinds.INSTRUCTORS,
                "note interne",
                f"{_author_name(author)} a ajouté une note interne (invisible du candidat) :"
                f"\n\n{message.body}{attached}",
                kind="message",
            ),
            exclude=(author.pk,),
        )
    elif author.is_agency:
        notify_applicant(
            application,
            "nouveau message de l'agence",
            f"{_author_name(author)} vous a écrit :\n\n{message.body}{attached}",
            kind="message",
        )
    else:
        deliver(
            Notice(
                application,
                kinds.INSTRUCTORS,
                "nouveau message du candidat",
                f"{_author_name(author)} ({application.organisation.name}) a écrit :"
                f"\n\n{message.body}{attached}",
                kind="message",
            ),
            exclude=(author.pk,),
        )


def message_of(user, application: Application, message_id) -> Message:
    """A message of this thread that `user` may read, else 404 (an internal note for the
    applicant, another application's message)."""
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = visible_messages(user, application.pk).filter(pk=message_id).first()
    if found is None:
        raise Http404("Message introuvable dans le fil de cette candidature.")
    return found


def _mark(user: User, application: Application, upto: int) -> None:
    """The read mark only moves forward (two tabs, an old page posted late)."""
    marked = ThreadRead.objects.filter(user=user, application=application).update(
        last_read_id=Greatest("last_read_id", upto), read_at=timezone.now()
    )
    if not marked:
        ThreadRead.objects.get_or_create(
            user=user, application=application, defaults={"last_read_id": upto}
        )


def mark_read(*, by: User, application: Application, upto: int | None = None) -> int:
    """`by` has read the thread up to message `upto` (one it may read), or to its last
    message; returns the mark."""
    if upto is None:
        upto = visible_messages(by, application.pk).aggregate(last=Max("pk"))["last"]
        if upto is None:
            return 0
    else:
        upto = message_of(by, application, upto).pk
    _mark(by, application, upto)
    return upto


# --- notifications -------------------------------------------------------------------------------


def mark_all_notifications_read(*, by: User) -> int:
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


def open_notification(*, by: User, notification_id) -> Notification:
    """One of `by`'s notifications, marked read (another person's: 404)."""
    found = Notification.objects.filter(user=by, pk=notification_id).first()
    if found is None:
        raise Http404("Notification introuvable.")
    if found.read_at is None:
        found.read_at = timezone.now()
        found.save(update_fields=["read_at"])
    return found


# --- email choices -------------------------------------------------------------------------------


def default_choice(user: User, kind: type[kinds.Kind]) -> bool:
    """Without a choice of their own: the agency and the Responsable habilité get every email
    of their kinds; the other members of an organisation only those they opt in to (the
    contact référent of an application gets its emails whatever his role)."""
    return not is_plain_member(user)


def is_plain_member(user: User) -> bool:
    """A member of an organisation who is not its Responsable habilité: emailed only what he
    opts in to (legal notices included, which go to the contact référent and the Responsable
    in any case)."""
    return not user.is_agency and user.role != Role.APPLICANT_ADMIN


def always_emailed(user: User, kind: type[kinds.Kind]) -> bool:
    """A legal notice is not a choice, except for a plain member, who may also receive it."""
    return kind.legal and not is_plain_member(user)


def set_email_choices(*, by: User, chosen: set[str]) -> list[str]:
    """`chosen`: the kinds `by` wants by email; legal notices always go to those they are
    for. Returns the kinds now emailed."""
    allowed = {kind.key: kind for kind in kinds.kinds_for(by)}
    unknown = set(chosen) - set(allowed)
    if unknown:
        raise ApplicationError(
            f"Type de courriel inconnu : {', '.join(sorted(unknown))[:80]}. Choisissez parmi "
            "ceux de la liste.",
            field="kinds",
            extra={"status": 400},
        )
    with transaction.atomic():
        for key, kind in allowed.items():
            if always_emailed(by, kind):
                continue
            EmailPreference.objects.update_or_create(
                user=by, kind=key, defaults={"email": key in chosen}
            )
    return sorted(key for key, kind in allowed.items() if always_emailed(by, kind) or key in chosen)


# --- the notifier (extensions.NOTIFIER) ------------------------------------------------------


def deliver(notice: Notice, *, exclude=()) -> None:
    """A notice of any stage: in-app notifications for the people concerned who have an
    account, and one email to those who get it — the applicant's contact référent and
    Responsable habilité (R-MSG-1) unless they opted out, the members who opted in; the
    instructors unless they opted out. A legal notice goes to the first whatever their choices.
    The email is rendered and sent by the task worker once the change is committed."""
    from guichet.messaging import tasks

    application = notice.application
    kind = kinds.kind_of(notice.kind, notice.audience)
    legal = notice.legal or kind.legal
    if notice.audience == kinds.APPLICANT:
        people, to = _applicant_side(application, kind, legal)
    else:
        people, to = _agency_side(application, kind, legal, notice.users)
    people = [person for person in people if person.pk not in exclude]
    excluded = {person.email for person in User.objects.filter(pk__in=exclude)}
    to = sorted(to - excluded)
    link = kinds.notice_link(kind, application, notice.certificate)
    title = f"{application.reference} — {notice.subject}"[:TITLE_LIMIT]
    Notification.objects.bulk_create(
        Notification(
            user=person,
            kind=kind.key,
            title=title,
            body=notice.body,
            url=link,
            application=application,
        )
        for person in people
    )
    if to:
        enqueue_on_commit(
            tasks.send_notice,
            audience=kind.audience,
            kind=kind.key,
            application_id=application.pk,
            subject=notice.subject,
            body=notice.body,
            to=to,
            legal=legal,
            attachments=[str(pk) for pk in notice.attachments],
            certificate=notice.certificate,
        )


def _choices(people, kind) -> dict[int, bool]:
    return dict(
        EmailPreference.objects.filter(user__in=people, kind=kind.key).values_list(
            "user_id", "email"
        )
    )


def _applicant_side(application: Application, kind, legal: bool) -> tuple[list, set[str]]:
    """Every active member of the organisation sees the notification in the platform; the
    email goes to the contact référent and the Responsable habilité (unless they opted out of
    a kind that is not legal), and to the other members who opted in."""
    people = list(User.objects.filter(organisation_id=application.organisation_id, is_active=True))
    choices = _choices(people, kind)
    accounts = {person.email.casefold(): person for person in people}
    to = set()
    for email in recipients(application):
        person = accounts.get(email.casefold())
        if person is None or legal or choices.get(person.pk, True):
            to.add(person.email if person is not None else email)
    for person in people:
        if person.email not in to and choices.get(person.pk, False):
            to.add(person.email)
    return people, to


def _agency_side(application: Application, kind, legal: bool, users) -> tuple[list, set[str]]:
    found = User.objects.filter(pk__in=users, is_active=True) if users else None
    people = list(found if found is not None else instructor_recipients(application))
    choices = _choices(people, kind)
    return people, {person.email for person in people if legal or choices.get(person.pk, True)}
