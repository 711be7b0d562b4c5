"""Pages of information requests and missing items (R-CLK-3, R-CLK-5): the exchanges on the
application page, the agency's forms to ask, the applicant's forms to answer. Forms that take
files decide who may send them before the body is read (issue 10 §1)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from guichet.applications import extensions
from guichet.applications.models import INSTRUCTION_STATES
from guichet.applications.selectors import get_application
from guichet.applications.workflow import WORKFLOW
from guichet.common.access import applicant_required, login_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.evidence.models import EvidenceFile
from guichet.files.api import receive_files
from guichet.files.services import allowed_types_text, max_upload_text
from guichet.instruction import requests as services


def _exchanges_url(application) -> str:
    return reverse("applications:detail", args=[application.pk]) + "#echanges"


# --- on the application page ---------------------------------------------------------------


@extensions.form("information_request")
def information_request_form(application) -> str:
    return reverse("instruction:information-request-new", args=[application.pk])


@extensions.form("missing_items")
def missing_items_form(application) -> str:
    return reverse("instruction:missing-items-new", args=[application.pk])


@extensions.form("information_answer")
def information_answer_form(application) -> str:
    open_ids = list(
        application.information_requests.filter(answered_at__isnull=True).values_list(
            "pk", flat=True
        )[:2]
    )
    if len(open_ids) == 1:
        return reverse("instruction:information-answer", args=[application.pk, open_ids[0]])
    return _exchanges_url(application)  # several: each has its own form there


@extensions.form("missing_items_answer")
def missing_items_answer_form(application) -> str:
    notice = application.missing_items_notices.filter(received_at__isnull=True).first()
    if notice is not None:
        return reverse("instruction:missing-items-answer", args=[application.pk, notice.pk])
    return _exchanges_url(application)


@extensions.panel
def exchanges_panel(request, application) -> dict | None:
    """The exchanges with the applicant, in order, and what each side may do now."""
    if application.evidence_complete_at is None:
        return None  # nothing is exchanged before the dossier is complete
    rows = services.exchanges(application)
    if not rows and application.status not in INSTRUCTION_STATES:
        return None
    user = request.user
    return {
        "template": "instruction/requests/panel.html",
        "exchanges": rows,
        "may_answer": WORKFLOW.refusal(application, WORKFLOW.get("answer_information"), user)
        is None,
        "may_provide": WORKFLOW.refusal(application, WORKFLOW.get("provide_missing_items"), user)
        is None,
    }


# --- receiving a form with optional files ----------------------------------------------------


def _refused(request, application, exc: ApplicationError) -> HttpResponseRedirect:
    """Not this person's to do: 403 with the reason; not now: back to the exchanges, saying
    why."""
    if exc.extra.get("status") == 403:
        raise PermissionDenied(exc.message)
    messages.error(request, exc.message)
    return redirect(_exchanges_url(application))


def _receive(request):
    """Once access is granted: the streaming handler, then the CSRF check (files.api); the
    body is read only then. Returns (uploads, refusal)."""
    handler, refused = receive_files(request, encrypt=False)
    if refused is not None:
        return [], refused
    uploads = request.FILES.getlist("file")
    if handler.error:
        raise ApplicationError(handler.error, extra={"status": handler.error_status})
    return uploads, None


def _form_error(exc: ApplicationError) -> dict:
    return {exc.field or "form": exc.message}


def _confirmed(request) -> None:
    if request.POST.get("confirm") != "on":
        raise ApplicationError("Cochez la case pour confirmer l'envoi.", field="confirm")


def _proof_groups(application) -> list[tuple]:
    """The applicable proofs by section, for the choice of the proofs concerned."""
    groups: dict[int, tuple] = {}
    for ref in services.applicable_proofs(application).values():
        groups.setdefault(ref.section.id, (ref.section, []))[1].append(ref)
    return list(groups.values())


def _files_context() -> dict:
    return {"allowed_types": allowed_types_text(), "max_upload": max_upload_text()}


# --- the agency asks -----------------------------------------------------------------------


@csrf_exempt  # checked by _receive once access is granted, without reading the body
@login_required
def information_request_new(request, pk):
    application = get_application(request.user, pk)
    try:
        services.require_allowed("request_information", application, request.user)
    except ApplicationError as exc:
        return _refused(request, application, exc)
    errors, values = {}, {}
    if request.method == "POST":
        try:
            uploads, refused = _receive(request)
            if refused is not None:
                return refused
            values = request.POST
            _confirmed(request)
            created = services.request_information(
                by=request.user,
                application=application,
                text=values.get("text", ""),
                proofs=values.getlist("proofs"),
                section=values.get("section") or None,
                uploads=uploads,
            )
        except ApplicationError as exc:
            values = request.POST
            errors = _form_error(exc)
            messages.error(
                request,
                exc.message + " Rien n'a été envoyé ; les fichiers sont à joindre de nouveau.",
            )
        else:
            messages.success(
                request,
                f"Demande d'information n° {created.number} envoyée : le candidat est prévenu par "
                "courriel"
                + (
                    ngettext(
                        " et peut déposer à nouveau sur %(n)d preuve.",
                        " et peut déposer à nouveau sur %(n)d preuves.",
                        created.proofs.count(),
                    )
                    % {"n": created.proofs.count()}
                    if created.proofs.exists()
                    else "."
                ),
            )
            return redirect(_exchanges_url(application))
    return render(
        request,
        "instruction/requests/request_form.html",
        {
            "application": application,
            "groups": _proof_groups(application),
            "errors": errors,
            "text": values.get("text", ""),
            "chosen": set(values.getlist("proofs")) if values else set(),
            "section": values.get("section", "") if values else "",
            **_files_context(),
        },
        status=400 if errors else 200,
    )


@csrf_exempt  # checked by _receive once access is granted, without reading the body
@login_required
def missing_items_new(request, pk):
    application = get_application(request.user, pk)
    try:
        services.require_allowed("request_missing_items", application, request.user)
    except ApplicationError as exc:
        return _refused(request, application, exc)
    settings = application.referential_version.process_settings
    earliest = timezone.localdate() + dt.timedelta(days=settings.missing_items_days)
    errors, values = {}, {}
    if request.method == "POST":
        try:
            uploads, refused = _receive(request)
            if refused is not None:
                return refused
            values = request.POST
            _confirmed(request)
            notice = services.request_missing_items(
                by=request.user,
                application=application,
                items=values.get("items", ""),
                proofs=values.getlist("proofs"),
                due=None if settings.missing_items_fixed else values.get("due") or None,
                uploads=uploads,
            )
        except ApplicationError as exc:
            values = request.POST
            errors = _form_error(exc)
            messages.error(
                request,
                exc.message + " Rien n'a été envoyé ; les fichiers sont à joindre de nouveau.",
            )
        else:
            messages.success(
                request,
                f"Pièces manquantes notifiées : le candidat est prévenu par courriel ; il a "
                f"jusqu'au {french_date(notice.due)} pour les fournir.",
            )
            return redirect(_exchanges_url(application))
    return render(
        request,
        "instruction/requests/missing_form.html",
        {
            "application": application,
            "groups": _proof_groups(application),
            "errors": errors,
            "items": values.get("items", "") if values else "",
            "chosen": set(values.getlist("proofs")) if values else set(),
            "due": values.get("due", "") if values else earliest.isoformat(),
            "earliest": earliest,
            "earliest_text": french_date(earliest),
            "days": settings.missing_items_days,
            "fixed": settings.missing_items_fixed,
            **_files_context(),
        },
        status=400 if errors else 200,
    )


# --- the applicant answers -----------------------------------------------------------------


def _deposited_since(application, exchange) -> dict[int, list]:
    """The evidence files deposited on the proofs concerned since the exchange was notified."""
    ids = [ref.id for ref in exchange.proof_refs]
    since: dict[int, list] = {}
    for evidence in EvidenceFile.objects.filter(
        application=application, proof_id__in=ids, created_at__gte=exchange.created_at
    ).select_related("file"):
        since.setdefault(evidence.proof_id, []).append(evidence)
    return since


def _answer_page(request, application, exchange_id, *, kind: str):
    is_request = kind == "request"
    access = services.answer_access if is_request else services.provide_access
    key = "request_id" if is_request else "notice_id"
    try:
        access(by=request.user, application=application, **{key: exchange_id})
    except ApplicationError as exc:
        return _refused(request, application, exc)
    errors, text = {}, ""
    if request.method == "POST":
        try:
            uploads, refused = _receive(request)
            if refused is not None:
                return refused
            text = request.POST.get("text", "")
            _confirmed(request)
            answer = services.answer_information if is_request else services.provide_missing_items
            answer(
                by=request.user,
                application=application,
                text=text,
                uploads=uploads,
                **{key: exchange_id},
            )
        except ApplicationError as exc:
            text = request.POST.get("text", "")
            errors = _form_error(exc)
            messages.error(
                request,
                exc.message + " Rien n'a été envoyé ; les fichiers sont à joindre de nouveau.",
            )
        else:
            application.refresh_from_db()
            messages.success(
                request,
                ("Réponse envoyée" if is_request else "Pièces manquantes envoyées")
                + f" : l'instructeur est prévenu. La candidature est « "
                f"{application.get_status_display()} ».",
            )
            return redirect(_exchanges_url(application))
    exchange = next(
        row
        for row in services.exchanges(application)
        if row.kind == kind and row.pk == int(exchange_id)
    )
    deposited = _deposited_since(application, exchange)
    return render(
        request,
        "instruction/requests/answer.html",
        {
            "application": application,
            "exchange": exchange,
            "proof_rows": [(ref, deposited.get(ref.id, [])) for ref in exchange.proof_refs],
            "errors": errors,
            "text": text,
            **_files_context(),
        },
        status=400 if errors else 200,
    )


@csrf_exempt  # checked by _receive once access is granted, without reading the body
@applicant_required
def information_answer(request, pk, rid):
    return _answer_page(request, get_application(request.user, pk), rid, kind="request")


@csrf_exempt  # checked by _receive once access is granted, without reading the body
@applicant_required
def missing_items_answer(request, pk, nid):
    return _answer_page(request, get_application(request.user, pk), nid, kind="notice")
