"""The agency's pages of the instruction: the queue (R-CLK-1, R-CLK-9) and, per application,
the instruction page — its clock, who instructs it, and a verdict per proof (R-EVD-2)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from guichet.applications.clock import clock_of
from guichet.applications.models import INSTRUCTION_STATES, Status
from guichet.applications.selectors import get_application
from guichet.applications.workflow import WORKFLOW, actions
from guichet.common.access import login_required, role_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.evidence.selectors import tree
from guichet.instruction import assignment, queue, verdicts
from guichet.instruction.clockstate import not_started_yet
from guichet.instruction.models import ProofOpinion

agency_required = role_required(lambda user: user.is_agency)
PAGE_SIZE = 50


@agency_required
def queue_page(request):
    choices = queue.filter_choices(request.user)
    filters, errors = queue.clean_filters(request.GET, choices)
    applications = queue.instruction_queue(request.user, **filters)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "instruction/queue.html",
        {
            "page": page,
            "rows": queue.queue_rows(page.object_list),
            "choices": choices,
            "filters": filters,
            "errors": errors,
            "query": urlencode(filters),
            "today": french_date(timezone.localdate()),
        },
        status=400 if errors else 200,
    )


def _agency_application(request, pk):
    """The application through the one door (another organisation: 404), for the agency."""
    application = get_application(request.user, pk)
    if not request.user.is_agency:
        raise PermissionDenied(
            "L'instruction est réservée à l'agence : vos preuves et les avis qui vous concernent "
            "sont sur la page des preuves de la candidature."
        )
    return application


def _page(request, application, *, posted=None, errors=None, status=200):
    user = request.user
    proofs = verdicts.applicable_proofs(application)
    both = verdicts.proof_verdicts(application)
    latest, redeposited = both.current, both.redeposited
    awaited = verdicts.awaited_proofs(application, proofs)
    may_instruct = verdicts.may_instruct(user, application)
    judging = may_instruct and application.status in (
        Status.IN_INSTRUCTION,
        *verdicts.PARTLY_OPEN_STATES,
    )
    posted, errors = posted or {}, errors or {}
    sections = tree(application)
    for node in sections:
        node.remaining = 0
        for requirement in node.requirements:
            for scenario in requirement["scenarios"]:
                for item in scenario["proofs"]:
                    pk = item["proof"].pk
                    latest_verdict = latest.get(pk)
                    item["verdict"] = latest_verdict
                    # R-EVD-2: files added or replaced since the verdict, to judge again.
                    item["redeposited"] = redeposited.get(pk)
                    item["awaited"] = pk in awaited
                    item["can_judge"] = judging and pk not in awaited
                    item["chosen"], item["comment"] = posted.get(
                        pk,
                        (
                            latest_verdict.verdict if latest_verdict else "",
                            latest_verdict.comment if latest_verdict else "",
                        ),
                    )
                    item["errors"] = [
                        message
                        for key, messages_ in errors.items()
                        if key.split(".")[0] == str(pk)
                        for message in messages_
                    ]
                    # « Tout conforme » never sweeps a new deposit along (R-EVD-2).
                    node.remaining += (
                        latest_verdict is None and pk not in redeposited and item["can_judge"]
                    )
    clock = clock_of(application)
    assignable = application.status in (Status.COMPLETE, *INSTRUCTION_STATES)
    team = list(application.instructors.all())
    return render(
        request,
        "instruction/page.html",
        {
            "application": application,
            "sections": sections,
            "summary": verdicts.verdict_summary(
                application, proofs=proofs, latest=latest, redeposited=redeposited
            ),
            "clock": clock,
            # R-CRT-4: complete on the exceptional certificate's sections, the clock waits.
            "partial": not_started_yet(application, clock),
            "deadline": french_date(clock.deadline) if clock.deadline else "",
            "days_left": queue.days_left_text(clock.days_left),
            "may_instruct": may_instruct,
            "judging": judging,
            "opinions": ProofOpinion.choices,
            "can_read_sensitive": any(member.pk == user.pk for member in team),
            "team": team,
            "can_assign": assignable and assignment.can_assign(user),
            "assignable": assignable,
            "instructors": list(assignment.assignable_instructors()) if assignable else [],
            "team_ids": {member.pk for member in team},
            "actions": actions(application, user),
            "to_sign": verdicts.convention_to_sign(application),
            "other_errors": [
                message
                for key, messages_ in errors.items()
                if not key.split(".")[0].isdigit() or int(key.split(".")[0]) not in proofs
                for message in messages_
            ],
        },
        status=status,
    )


@login_required
def instruction_page(request, pk):
    application = _agency_application(request, pk)
    return _page(request, application)


def _back(pk, anchor=""):
    return redirect(reverse("instruction:page", args=[pk]) + (f"#{anchor}" if anchor else ""))


@login_required
@require_POST
def assign_page(request, pk):
    application = _agency_application(request, pk)
    if not assignment.can_assign(request.user):
        raise PermissionDenied(
            "L'attribution de l'instruction revient à un instructeur ou à l'administrateur de "
            "l'agence."
        )
    first = application.status == Status.COMPLETE
    try:
        application = assignment.assign(
            application,
            by=request.user,
            lead=request.POST.get("lead", ""),
            others=request.POST.getlist("others"),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(pk, "attribution")
    lead = application.lead_instructor
    messages.success(
        request,
        f"Instruction {'attribuée' if first else 'réattribuée'} : {lead.get_full_name() or lead.email} "
        "est l'instructeur référent et en reçoit l'avis par courriel."
        + (" Le dossier est en instruction : donnez un avis sur chaque preuve." if first else ""),
    )
    return _back(pk, "attribution")


def _refuse_unless_instructor(request, application):
    refusal = verdicts.instruct_refusal(request.user, application)
    if refusal:
        raise PermissionDenied(refusal)


def _after_verdicts(request, application, added: list) -> None:
    application.refresh_from_db()
    summary = verdicts.verdict_summary(application)
    text = (
        ngettext("%(n)d avis enregistré. ", "%(n)d avis enregistrés. ", len(added))
        % {"n": len(added)}
        if added
        else "Aucun avis n'a changé. "
    )
    text += ngettext(
        "%(given)d preuve sur %(total)d a un avis",
        "%(given)d preuves sur %(total)d ont un avis",
        summary.given,
    ) % {"given": summary.given, "total": summary.total}
    # Whether the instruction may finish is the workflow's to say (verdicts, INS test day…).
    refusal = WORKFLOW.refusal(application, WORKFLOW.get("finish_instruction"), request.user)
    if summary.missing or summary.a_preciser:
        text += f" ; reste {verdicts.summary_text(summary)} avant de terminer l'instruction."
    elif refusal is not None:
        text += f". {refusal.message}"
    else:
        text += " : vous pouvez terminer l'instruction."
    if added and summary.all_conforme and verdicts.convention_to_sign(application):
        text += " Toutes les preuves sont conformes : la convention est envoyée au candidat pour signature."
    messages.success(request, text)


@login_required
@require_POST
def verdicts_page(request, pk):
    """One section's form (or several proofs): every verdict kept, or none, the page shown
    again with what was typed and each problem beside its proof."""
    application = _agency_application(request, pk)
    _refuse_unless_instructor(request, application)
    opinions = {}
    for key, value in request.POST.items():
        if key.startswith("verdict-") and value:
            proof = key.removeprefix("verdict-")
            opinions[proof] = (value, request.POST.get(f"comment-{proof}", ""))
    try:
        added = verdicts.set_proof_verdicts(application, by=request.user, opinions=opinions)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        posted = {int(k): v for k, v in opinions.items() if k.isdigit()}
        return _page(
            request,
            application,
            posted=posted,
            errors=exc.extra.get("errors") or {},
            status=exc.extra.get("status", 400),
        )
    _after_verdicts(request, application, added)
    return _back(
        pk, f"section-{request.POST.get('section', '')}" if request.POST.get("section") else ""
    )


@login_required
@require_POST
def section_conforme_page(request, pk, section):
    application = _agency_application(request, pk)
    _refuse_unless_instructor(request, application)
    if request.POST.get("confirm") != "on":
        messages.error(request, "« Tout conforme » : cochez la case pour confirmer.")
        return _back(pk, f"section-{section}")
    try:
        added = verdicts.set_section_conforme(application, by=request.user, section_code=section)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(pk, f"section-{section}")
    _after_verdicts(request, application, added)
    return _back(pk, f"section-{section}")
