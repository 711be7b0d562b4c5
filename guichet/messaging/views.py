"""Pages of the messaging (R-MSG-1): an application's thread (a panel of its page and a page of
its own), the threads a person follows, the in-app notifications, the email choices. A message
with files decides who may write before the body is read (issue 10 §1)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guichet.applications import extensions
from guichet.applications.selectors import get_application
from guichet.common.access import login_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.files.api import receive_files
from guichet.files.services import allowed_types_text, max_upload_text
from guichet.messaging import kinds, selectors, services

THREAD_PAGE_SIZE = 50
LIST_PAGE_SIZE = 50
PANEL_MESSAGES = 3


def _thread_url(application) -> str:
    return reverse("messaging:thread", args=[application.pk])


# --- on the application page -------------------------------------------------------------------


@extensions.panel
def messages_panel(request, application) -> dict:
    """The last messages of the thread, what is unread, and the way to write."""
    user = request.user
    read = selectors.last_read_id(user, application)
    recent = list(selectors.thread(user, application).order_by("-id")[:PANEL_MESSAGES])[::-1]
    unread = (
        selectors.visible_messages(user, application.pk)
        .exclude(author_id=user.pk)
        .filter(pk__gt=read)
        .count()
    )
    return {
        "template": "messaging/panel.html",
        "recent": recent,
        "unread": unread,
        "read_upto": read,
        "thread_url": _thread_url(application),
    }


# --- the thread ----------------------------------------------------------------------------------


def _receive(request):
    """Once the writer is known: the streaming handler, then the CSRF check; the body is read
    only then. Returns (uploads, refusal)."""
    handler, refused = receive_files(request, encrypt=False)
    if refused is not None:
        return [], refused
    if handler.error:
        raise ApplicationError(handler.error, extra={"status": handler.error_status})
    return request.FILES.getlist("file"), None


@csrf_exempt  # checked by _receive once the writer is known, without reading the body
@login_required
def thread(request, pk):
    application = get_application(request.user, pk)
    user = request.user
    errors, body, internal = {}, "", False
    if request.method == "POST":
        try:
            services.require_writer(user, application)
            uploads, refused = _receive(request)
            if refused is not None:
                return refused
            body = request.POST.get("body", "")
            internal = request.POST.get("internal") == "on"
            message = services.post_message(
                by=user, application=application, body=body, internal=internal, uploads=uploads
            )
        except ApplicationError as exc:
            if exc.extra.get("status") == 403:
                raise PermissionDenied(exc.message) from None
            errors = {exc.field or "form": exc.message}
            messages.error(
                request,
                exc.message + " Rien n'a été envoyé ; les fichiers sont à joindre de nouveau.",
            )
        else:
            if internal:
                text = "Note interne enregistrée : seule l'agence la voit."
            elif user.is_agency:
                text = "Message envoyé : le candidat est prévenu par courriel."
            else:
                text = "Message envoyé : l'agence est prévenue."
            messages.success(request, text)
            return redirect(_thread_url(application) + f"#message-{message.pk}")
    previously_read = selectors.last_read_id(user, application)
    paginator = Paginator(selectors.thread(user, application), THREAD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    shown = list(page.object_list)
    if shown:  # reading the thread marks it read, up to the newest message shown
        services.mark_read(by=user, application=application, upto=shown[-1].pk)
    return render(
        request,
        "messaging/thread.html",
        {
            "application": application,
            "page": page,
            "shown": shown,
            "read_upto": previously_read,
            "errors": errors,
            "body": body,
            "internal": internal,
            "allowed_types": allowed_types_text(),
            "max_upload": max_upload_text(),
        },
        status=400 if errors else 200,
    )


@login_required
def inbox(request):
    """The threads `user` follows, the most recent first, with what is unread."""
    page = Paginator(selectors.threads(request.user), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "messaging/inbox.html", {"page": page})


# --- notifications -----------------------------------------------------------------------------


@login_required
def notifications(request):
    unread_only = request.GET.get("non-lues") == "1"
    page = Paginator(
        selectors.notifications_of(request.user, unread_only=unread_only), LIST_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/notifications.html",
        {
            "page": page,
            "unread_only": unread_only,
            "query": "non-lues=1" if unread_only else "",
        },
    )


@login_required
@require_POST
def notifications_read(request):
    count = services.mark_all_notifications_read(by=request.user)
    if count:
        messages.success(request, f"Notifications marquées comme lues : {count}.")
    else:
        messages.info(request, "Aucune notification non lue : rien n'a changé.")
    return redirect("messaging:notifications")


@login_required
def notification_open(request, pk):
    """Follows a notification's link, marking it read."""
    found = services.open_notification(by=request.user, notification_id=pk)
    return redirect(found.url or reverse("messaging:notifications"))


# --- email choices -------------------------------------------------------------------------------


@login_required
def preferences(request):
    user = request.user
    if request.method == "POST":
        try:
            emailed = services.set_email_choices(by=user, chosen=set(request.POST.getlist("kinds")))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Vos choix sont enregistrés : vous recevez par courriel %(n)d type de "
                    "notification ; les autres restent visibles dans vos notifications.",
                    "Vos choix sont enregistrés : vous recevez par courriel %(n)d types de "
                    "notification ; les autres restent visibles dans vos notifications.",
                    len(emailed),
                )
                % {"n": len(emailed)},
            )
            return redirect("messaging:preferences")
    chosen = selectors.email_choices(user)
    rows = [
        {
            "kind": kind,
            "always": services.always_emailed(user, kind),
            "emailed": services.always_emailed(user, kind)
            or chosen.get(kind.key, services.default_choice(user, kind)),
        }
        for kind in kinds.kinds_for(user)
    ]
    return render(
        request,
        "messaging/preferences.html",
        {"rows": rows, "is_member": services.is_plain_member(user)},
    )
