"""Pages of the certificate's life (issue 13 §3): the agency's list and certificate page with
every act the workflow offers, the certificates concerned by a new referential version, the
follow-up of TLC approvals; the holder's page of its certificate; the exceptional certificate's
part of a TLC application page. An applicant finds nothing of another organisation (404)."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guichet.applications import extensions
from guichet.applications.clock import legal_today
from guichet.applications.models import Application
from guichet.applications.selectors import get_application
from guichet.certificates import exceptional, forms, lifecycle, new_version, notice_answers
from guichet.certificates.models import (
    Certificate,
    Control,
    FormalNotice,
    Kind,
    NoticeKind,
    Status,
    StrikeOffGround,
    WithdrawalGround,
)
from guichet.certificates.verification import reservations_of
from guichet.certificates.workflow import (
    LIVE,
    WORKFLOW,
    is_manager,
    no_action_reason,
    reserved_to_responsible,
)
from guichet.common.access import login_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.files.api import receive_files, take_uploads
from guichet.files.models import StoredFile
from guichet.instruction.queue import days_left_text
from guichet.referentials.models import Referential, ReferentialVersion

PAGE_SIZE = 50
SOON_DAYS = 90


def agency_area(view):
    """Agents only; anyone else signed in finds nothing (404)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_agency:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def holder_certificate(user, number: str) -> Certificate:
    """The certificate of the user's organisation, else 404 (isolation, R-ACT-1)."""
    if user.is_agency or not user.organisation_id:
        raise Http404
    return get_object_or_404(
        Certificate.objects.select_related("referential_version__referential", "application"),
        number=number,
        organisation_id=user.organisation_id,
    )


def _agency_certificate(number: str) -> Certificate:
    return get_object_or_404(
        Certificate.objects.select_related(
            "referential_version__referential", "application__product", "organisation"
        ),
        number=number,
    )


# --- the agency's list (issue 13 §3) -------------------------------------------------------------


def _open_notice():
    return FormalNotice.objects.filter(certificate=OuterRef("pk"), closed_on__isnull=True)


@agency_area
def certificate_list(request):
    today = legal_today()
    rows = (
        Certificate.objects.select_related("referential_version__referential")
        .annotate(notice_open=Exists(_open_notice()))
        .order_by("valid_until", "number")
    )
    status = request.GET.get("etat", "")
    if status in Status.values:
        rows = rows.filter(status=status)
    referential = request.GET.get("referentiel", "")
    if referential:
        rows = rows.filter(referential_code=referential)
    soon = request.GET.get("echeance") == "90"
    if soon:
        rows = rows.filter(status__in=LIVE, valid_until__lt=today + dt.timedelta(days=SOON_DAYS))
    notices = request.GET.get("mises_en_demeure") == "1"
    if notices:
        rows = rows.filter(notice_open=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for certificate in page.object_list:
        certificate.days_left = (certificate.valid_until - today).days
        certificate.days_left_text = days_left_text(certificate.days_left)
    return render(
        request,
        "certificates/agency/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "referentials": Referential.objects.order_by("code").values_list("code", flat=True),
            "filters": {
                "etat": status,
                "referentiel": referential,
                "echeance": soon,
                "mises_en_demeure": notices,
            },
            "query": _query(request),
            "new_versions": list(new_version.versions_with_holders()),
            "soon_days": SOON_DAYS,
        },
    )


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- one certificate, its history and its acts ------------------------------------------------


DATA_CHOICES = {
    "withdrawal_grounds": WithdrawalGround.choices,
    "notice_kinds": NoticeKind.choices,
    "strike_off_grounds": StrikeOffGround.choices,
}


# On the pages, « Retirer le certificat » takes a date of effect: a later one notifies the
# withdrawal (schedule_withdrawal), which therefore has no form of its own there.
WITHIN_WITHDRAW = {"schedule_withdrawal"}


def _shown(certificate: Certificate):
    return lambda name: lifecycle.applicable(certificate, name) and name not in WITHIN_WITHDRAW


def _actions(certificate: Certificate, user, *, typed: dict | None = None) -> dict:
    """The acts the workflow offers `user` now (each with its form), those its guards refuse
    for now (each with the guard's French reason), and, when there is none, why. `typed`: a
    form the server refused (its act, the values posted, the French error), shown again open
    with what was typed."""
    shown = _shown(certificate)
    typed = typed or {}
    options = [
        {
            "transition": t,
            "refusal": refusal.message if refusal else "",
            "typed": typed.get("values", {}) if typed.get("act") == t.name else {},
            "error": typed.get("error", "") if typed.get("act") == t.name else "",
        }
        for t, refusal in WORKFLOW.options(certificate, user)
        if shown(t.name)
    ]
    return {
        "actions": options,
        "offered": [option for option in options if not option["refusal"]],
        "refused": [option for option in options if option["refusal"]],
        "no_action": "" if options else no_action_reason(certificate, user, shown=shown),
        # A formal notice may suspend the certificate when suspending it is possible now.
        "may_suspend": any(o["transition"].name == "suspend" and not o["refusal"] for o in options),
    }


def _history(certificate: Certificate) -> dict:
    return {
        "revisions": list(certificate.revisions.select_related("by").order_by("-number")),
        # With the holder's answers to each (issue 22 §2).
        "notices": notice_answers.notices_of(certificate),
        "controls": list(certificate.controls.select_related("report").order_by("-held_on")),
        "open_notices": list(lifecycle.open_notices(certificate)),
        **_reservations(certificate),
    }


def _reservations(certificate: Certificate) -> dict:
    """R-DEC-2: the reservations of its decision, those still to lift, and those whose
    deadline has passed (the ones whose failure may be found)."""
    items = reservations_of(certificate)
    today = legal_today()
    pending = [r for r in items if r.is_pending]
    return {
        "reservation_items": items,
        "pending_reservations": pending,
        "lapsed_reservations": [r for r in pending if r.deadline < today],
        "failed_reservations": [r for r in items if r.failed_on],
    }


@agency_area
def certificate_page(request, number):
    return _agency_page(request, _agency_certificate(number))


def _agency_page(request, certificate: Certificate, *, typed: dict | None = None):
    today = legal_today()
    labels = {t.name: t.label for t in WORKFLOW.all()}
    return render(
        request,
        "certificates/agency/detail.html",
        {
            "certificate": certificate,
            **_actions(certificate, request.user, typed=typed),
            "today": today,
            "max_date": today + lifecycle.SIX_MONTHS,
            # CSP R. 1470-7: the period between two checks, where the arrêté sets one.
            "periodic_months": certificate.referential_version.process_settings.periodic_check_months,
            "days_left": days_left_text((certificate.valid_until - today).days)
            if certificate.status in LIVE
            else "",
            "transitions": [
                (row, labels.get(row.name, row.name))
                for row in certificate.transitions.select_related("by")
            ],
            **_history(certificate),
            **DATA_CHOICES,
        },
    )


def _refused_form(request, certificate, name: str, message: str, *, page, status: int):
    """The page again, with the act's form open, what was typed in it and the French reason
    of the refusal (issue 22 §2: a form refused by the server keeps what was typed). The
    certificate is read again: the refused act changed nothing."""
    certificate = Certificate.objects.select_related(
        "referential_version__referential", "application__product", "organisation"
    ).get(pk=certificate.pk)
    typed = {"act": name, "values": request.POST, "error": message}
    response = page(request, certificate, typed=typed)
    response.status_code = status
    return response


def _fire(request, certificate: Certificate, name: str, *, data, back: str, page):
    """An act from a page: confirmed, parsed, fired; its refusal shown on the page, in the
    act's form, with what was typed."""
    spec = WORKFLOW.page_action(name)
    if spec.automatic or not lifecycle.applicable(certificate, name):
        raise Http404
    if request.POST.get("confirm") != "on":
        message = f"« {spec.label} » : cochez la case pour confirmer."
        return _refused_form(request, certificate, name, message, page=page, status=400)
    try:
        reason, values = forms.parse(name, data)
        certificate = lifecycle.act(certificate, name, by=request.user, reason=reason, **values)
    except ApplicationError as exc:
        status = (exc.extra or {}).get("status", 400)
        return _refused_form(request, certificate, name, exc.message, page=page, status=status)
    done = (
        f"« {spec.label} » : fait. Le certificat {certificate.number} est "
        f"« {certificate.get_status_display().lower()} »."
    )
    if name == "fail_reservation":
        # R-DEC-2: the failure is recorded; what follows is the agency's own acts.
        done += (
            " Le titulaire en est informé. Suite possible : « Mettre en demeure », puis, s'il "
            "le faut, « Retirer le certificat »."
        )
    messages.success(request, done)
    return redirect(back)


@agency_area
@require_POST
def agency_act(request, number, name):
    certificate = _agency_certificate(number)
    if name == "record_control":
        raise Http404  # a file: its own address (control_upload)
    back = reverse("certificates:agency-detail", args=[certificate.number])
    return _fire(request, certificate, name, data=request.POST, back=back, page=_agency_page)


@csrf_exempt  # checked by receive_files once access is granted, without reading the body
@require_POST
@agency_area
def control_upload(request, number):
    """A control and its report (R-CRT-5): who may record it is decided before the body is
    read; the report streams into a temporary file, kept only if the act succeeds."""
    certificate = _agency_certificate(number)
    back = reverse("certificates:agency-detail", args=[certificate.number])
    refusal = WORKFLOW.refusal(certificate, WORKFLOW.get("record_control"), request.user)
    if refusal is not None:
        messages.error(request, refusal.message)
        return redirect(back)
    handler, csrf_refused = receive_files(request, encrypt=False)
    if csrf_refused is not None:
        return csrf_refused
    if request.POST.get("confirm") != "on":
        message = "« Enregistrer un contrôle » : cochez la case pour confirmer."
        return _refused_form(
            request, certificate, "record_control", message, page=_agency_page, status=400
        )
    try:
        (upload,) = take_uploads(handler, request.FILES, "report")[:1]
        reason, values = forms.parse("record_control", request.POST)
        before = certificate.next_check
        certificate = lifecycle.act(
            certificate, "record_control", by=request.user, reason=reason, report=upload, **values
        )
    except ApplicationError as exc:
        status = (exc.extra or {}).get("status", 400)
        return _refused_form(
            request, certificate, "record_control", exc.message, page=_agency_page, status=status
        )
    text = "Contrôle enregistré ; son rapport est envoyé au titulaire."
    if certificate.next_check and certificate.next_check != before:
        text += (
            f" Prochain contrôle le {french_date(certificate.next_check)} : le certificat est "
            "réémis pour l'indiquer."
        )
    messages.success(request, text)
    return redirect(back)


# --- a new referential version (R-CRT-3) ------------------------------------------------------


@agency_area
def new_version_page(request, pk):
    version = get_object_or_404(ReferentialVersion.objects.select_related("referential"), pk=pk)
    today = legal_today()
    rows = list(new_version.concerned(version))
    for certificate in rows:
        told = certificate.new_version_notified_id == version.pk
        certificate.told = told
        due = (
            certificate.new_certificate_due if told else new_version.due_date(certificate, version)
        )
        certificate.due = due
        certificate.due_text = days_left_text((due - today).days) if due else ""
    return render(
        request,
        "certificates/agency/new_version.html",
        {
            "version": version,
            "rows": rows,
            "refusal": new_version.refusal(version),
            "may_manage": is_manager(request.user),
            "to_tell": sum(1 for row in rows if not row.told),
            # R-CRT-3, CSP R. 1470-11: the version's arrêté allows a reduced dossier.
            "reduced_evidence": version.process_settings.new_version_evidence == "changes",
        },
    )


@agency_area
@require_POST
def new_version_notify(request, pk):
    version = get_object_or_404(ReferentialVersion, pk=pk)
    back = reverse("certificates:new-version", args=[pk])
    if request.POST.get("confirm") != "on":
        messages.error(request, "Cochez la case pour confirmer l'envoi aux titulaires.")
        return redirect(back)
    try:
        told = new_version.notify_new_version(version, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("%(n)d titulaire notifié.", "%(n)d titulaires notifiés.", told) % {"n": told},
        )
    return redirect(back)


@agency_area
@require_POST
def new_version_scope(request, pk):
    """R-CRT-3, CSP R. 1470-11: the evidence a holder's new application is asked, chosen and
    recorded by the agency."""
    version = get_object_or_404(ReferentialVersion, pk=pk)
    back = reverse("certificates:new-version", args=[pk])
    application = Application.objects.filter(
        pk=request.POST.get("application") if str(request.POST.get("application")).isdigit() else 0,
        referential_version=version,
    ).first()
    if application is None:
        messages.error(request, "Candidature introuvable sur cette version du référentiel.")
        return redirect(back)
    scope = request.POST.get("scope")
    if scope not in ("changes", "all"):
        messages.error(request, "Choisissez les preuves demandées ; rien n'a été enregistré.")
        return redirect(back)
    try:
        new_version.set_evidence_scope(
            by=request.user,
            application=application,
            changes_only=scope == "changes",
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Choix enregistré pour {application.reference} : "
            + (
                "seules les exigences nouvelles ou modifiées sont demandées."
                if scope == "changes"
                else "le dossier de preuves complet est demandé."
            )
            + " Le candidat est prévenu par courriel.",
        )
    return redirect(back)


# --- TLC approvals and FINESS (R-CRT-8) --------------------------------------------------------


@agency_area
def approvals_page(request):
    rows = (
        Certificate.objects.filter(lifecycle.approval_holders(), kind=Kind.STANDARD)
        .select_related("referential_version__referential")
        .order_by("-issued_on", "number")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "certificates/agency/approvals.html", {"page": page})


# --- the holder's pages -----------------------------------------------------------------------


@login_required
def my_certificates(request):
    """« Mes certificats » (issue 22 §2): the organisation's certificates, each with its state
    (the one sentence of certificates.standing), its next dates and its current PDF."""
    from guichet.certificates.holder import certificates_of
    from guichet.certificates.renewal import term_event

    if request.user.is_agency:
        return redirect("certificates:agency-list")
    page = Paginator(certificates_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for certificate in page.object_list:
        certificate.term_event = term_event(certificate)
    return render(request, "certificates/mine.html", {"page": page})


@login_required
def manage_page(request, number):
    return _holder_page(request, holder_certificate(request.user, number))


def _holder_page(
    request, certificate: Certificate, *, typed: dict | None = None, answer: dict | None = None
):
    today = legal_today()
    history = _history(certificate)
    # R-CRT-5: each open formal notice, what it asks and by when, and its answer form (a
    # refused answer comes back with its text and the reason).
    answer = answer or {}
    waiting = [
        {
            "notice": notice,
            "what_to_do": notice_answers.what_to_do(notice, today=today),
            "days_left": days_left_text((notice.deadline - today).days),
            "may_answer": notice_answers.answer_refusal(certificate, notice, request.user) is None,
            "typed": answer.get("text", "") if answer.get("notice") == notice.pk else "",
            "error": answer.get("error", "") if answer.get("notice") == notice.pk else "",
        }
        for notice in history["notices"]
        if not notice.closed_on
    ]
    return render(
        request,
        "certificates/manage.html",
        {
            "certificate": certificate,
            "new_application_url": new_version.new_application_url(certificate),
            "waiting_notices": waiting,
            **_actions(certificate, request.user, typed=typed),
            "reserved": reserved_to_responsible(
                certificate, request.user, shown=_shown(certificate)
            ),
            "today": today,
            **history,
        },
    )


@login_required
@require_POST
def holder_act(request, number, name):
    certificate = holder_certificate(request.user, number)
    back = reverse("certificates:manage", args=[certificate.number])
    return _fire(request, certificate, name, data=request.POST, back=back, page=_holder_page)


@csrf_exempt  # checked by receive_files once access is granted, without reading the body
@require_POST
@login_required
def notice_answer(request, number, notice):
    """The holder answers a formal notice (R-CRT-5, issue 22 §2): who may is decided before
    the body is read; the files stream into temporary files, kept only with the answer."""
    certificate = holder_certificate(request.user, number)
    back = reverse("certificates:manage", args=[certificate.number]) + f"#mise-en-demeure-{notice}"
    try:
        notice_answers.answer_access(by=request.user, certificate=certificate, notice_id=notice)
    except ApplicationError as exc:
        if (exc.extra or {}).get("status") == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
        return redirect(back)
    handler, csrf_refused = receive_files(request, encrypt=False)
    if csrf_refused is not None:
        return csrf_refused
    text = request.POST.get("text", "")
    try:
        uploads = take_uploads(handler, request.FILES, "files", texts=request.POST, required=False)
        answer = notice_answers.answer_formal_notice(
            by=request.user, certificate=certificate, notice_id=notice, text=text, uploads=uploads
        )
    except ApplicationError as exc:
        response = _holder_page(
            request,
            Certificate.objects.select_related(
                "referential_version__referential", "application"
            ).get(pk=certificate.pk),
            answer={"notice": notice, "text": text, "error": exc.message},
        )
        response.status_code = (exc.extra or {}).get("status", 400)
        return response
    files = answer.files.count()
    messages.success(
        request,
        "Réponse envoyée à l'agence"
        + (
            ngettext(" avec %(n)d pièce jointe", " avec %(n)d pièces jointes", files) % {"n": files}
            if files
            else ""
        )
        + " : elle figure ci-dessous. La mise en demeure reste en cours jusqu'à ce que l'agence "
        "la close ou décide du retrait ; vous pouvez compléter votre réponse d'ici là.",
    )
    return redirect(back)


# --- the exceptional certificate on a TLC application page (R-CRT-4) ---------------------------


@extensions.panel
def exceptional_panel(request, application) -> dict | None:
    """The exceptional certificate's period and acts while its window is open, and the
    exceptional certificates issued; the standard certificate has its own panel
    (certificates.holder). Once the window has closed, an application without an exceptional
    certificate shows nothing (issue 22 §3)."""
    found = exceptional.open_period(application)
    certificates = list(
        Certificate.objects.filter(application=application, kind=Kind.EXCEPTIONAL).order_by("pk")
    )
    if (
        found is not None
        and application.status not in exceptional.COMMITMENT_STATES
        and not certificates
    ):
        found = None
    if found is None and not certificates:
        return None
    user = request.user
    return {
        "template": "certificates/agency/panel.html",
        "period": found,
        "certificates": certificates,
        "commitment": exceptional.commitment_of(application) if found else None,
        "form_commitment": (application.form or {}).get("all_proofs_available") is False,
        "commit_refusal": exceptional.commitment_refusal(application, user)
        if found and not user.is_agency
        else "",
        # R-CRT-4: the collège grants it; the agency sees what it still waits for.
        "decision_refusal": exceptional.decision_refusal(application)
        if found and user.is_agency and not certificates
        else "",
        "is_agency": user.is_agency,
    }


@login_required
@require_POST
def exceptional_commit(request, pk):
    application = get_application(request.user, pk)
    back = reverse("applications:detail", args=[pk]) + "#certificat-exceptionnel"
    if request.POST.get("confirm") != "on":
        messages.error(request, "Cochez la case pour prendre l'engagement.")
        return redirect(back)
    try:
        exceptional.record_commitment(application, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Engagement enregistré : l'agence en est informée.")
    return redirect(back)


# --- control reports, served as files of the application ------------------------------------


@extensions.file_source
def control_report(application, file_id) -> StoredFile | None:
    """A control's report (R-CRT-5), kept with the certificate: the holder and the agency read
    it through applications:file."""
    rows = Control.objects.filter(certificate__application=application)
    return extensions.referenced_file(rows, "report", file_id)
