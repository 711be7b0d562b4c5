"""Reads of the message threads and notifications (R-MSG-1), shared by the pages, the navigation
and the API. The applicant never reaches an internal note: every read of messages goes through
`visible_messages`."""

from __future__ import annotations

from django.db.models import F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from guichet.accounts.models import User
from guichet.applications import extensions
from guichet.applications.models import Application
from guichet.messaging.models import EmailPreference, Message, MessageFile, Notification, ThreadRead


class CountOf(Subquery):
    """The number of rows of a queryset, as a scalar subquery (one query for several counts)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def visible_messages(user, application_id=None) -> QuerySet:
    """The messages `user` may read: the agency all of them, the applicant those that are not
    an internal note, of its organisation's applications only (R-ACT-1)."""
    messages = Message.objects.filter(
        application__in=Application.objects.visible_to(user).values("pk")
    )
    if application_id is not None:
        messages = messages.filter(application_id=application_id)
    if not user.is_agency:
        messages = messages.filter(internal=False)
    return messages


def thread(user, application) -> QuerySet:
    """The thread of an application as `user` sees it, oldest first, with authors and files."""
    return (
        visible_messages(user, application.pk)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=MessageFile.objects.select_related("file__uploaded_by").order_by("id"),
            )
        )
        .order_by("id")
    )


def last_read_id(user, application) -> int:
    return (
        ThreadRead.objects.filter(user=user, application=application)
        .values_list("last_read_id", flat=True)
        .first()
        or 0
    )


def _read_upto(user, application_ref) -> Coalesce:
    return Coalesce(
        Subquery(
            ThreadRead.objects.filter(application_id=application_ref, user_id=user.pk).values(
                "last_read_id"
            )[:1]
        ),
        0,
    )


def followed_applications(user) -> QuerySet:
    """The applications whose thread counts for `user`'s unread messages: its organisation's
    for an applicant; for the agency, those it instructs and those whose thread it has read or
    written to (a ThreadRead row), not every dossier of the agency."""
    if not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    if not user.is_agency:
        return Application.objects.visible_to(user)
    assigned = Application.instructors.through.objects.filter(user_id=user.pk).values(
        "application_id"
    )
    read = ThreadRead.objects.filter(user_id=user.pk).values("application_id")
    return Application.objects.filter(Q(pk__in=assigned) | Q(pk__in=read))


def unread_messages(user) -> QuerySet:
    """The messages of the followed threads that `user` did not write and has not read yet."""
    messages = Message.objects.filter(
        application__in=followed_applications(user).values("pk")
    ).exclude(author_id=user.pk)
    if not user.is_agency:
        messages = messages.filter(internal=False)
    return messages.annotate(read_upto=_read_upto(user, OuterRef("application_id"))).filter(
        pk__gt=F("read_upto")
    )


def unread_notifications(user) -> QuerySet:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True)


def unread_counts(user) -> dict[str, int]:
    """Unread messages and notifications for the navigation, in one query whatever the number
    of applications."""
    if not user.is_authenticated:
        return {"messages": 0, "notifications": 0}
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread_messages=CountOf(unread_messages(user).values("pk")),
            unread_notifications=CountOf(unread_notifications(user).values("pk")),
        )
        .values("unread_messages", "unread_notifications")
        .first()
    )
    if row is None:
        return {"messages": 0, "notifications": 0}
    return {"messages": row["unread_messages"], "notifications": row["unread_notifications"]}


def threads(user) -> QuerySet:
    """The followed applications that have messages, with the number unread and the last
    message's date, the most recent first: one query for a page of them."""
    visible = Message.objects.filter(application_id=OuterRef("pk"))
    if not user.is_agency:
        visible = visible.filter(internal=False)
    last = visible.order_by("-id")
    unread = (
        visible.exclude(author_id=user.pk)
        .annotate(read_upto=_read_upto(user, OuterRef("application_id")))
        .filter(pk__gt=F("read_upto"))
    )
    return (
        followed_applications(user)
        .select_related("product", "organisation")
        .annotate(
            last_message_id=Subquery(last.values("pk")[:1]),
            last_message_at=Subquery(last.values("created_at")[:1]),
            unread=CountOf(unread.values("pk")),
        )
        .filter(last_message_id__isnull=False)
        .order_by("-last_message_id")
    )


def notifications_of(user, *, unread_only: bool = False) -> QuerySet:
    notifications = Notification.objects.filter(user_id=user.pk)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def email_choices(user) -> dict[str, bool]:
    """The kinds `user` chose explicitly (kind → emailed or not); the others keep their default."""
    return dict(EmailPreference.objects.filter(user=user).values_list("kind", "email"))


# --- what the core asks of the messaging ---------------------------------------------------------


@extensions.file_source
def message_file(application, file_id):
    """A file of a message is a file of its application (`applications:file` serves it)."""
    found = (
        MessageFile.objects.filter(message__application=application, file_id=file_id)
        .select_related("file", "message")
        .first()
    )
    if found is None:
        return None
    found.file.internal_note = found.message.internal
    return found.file


@extensions.read_rule
def internal_note_files(user, application, stored) -> str | None:
    """The files of an agency internal note are the agency's: for anybody else they do not
    exist (404, not 403: the applicant does not learn that a note has files)."""
    if user.is_agency:
        return None
    internal = getattr(stored, "internal_note", None)
    if internal is None:
        internal = MessageFile.objects.filter(
            message__application=application, message__internal=True, file_id=stored.pk
        ).exists()
    if internal:
        raise Http404
    return None
