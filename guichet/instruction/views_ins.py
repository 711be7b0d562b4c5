"""Pages of the INS test day (R-CLK-8): the applicant proposes or moves the day, the agency
confirms it or proposes another, which the applicant accepts; the instructor records who
attended, the environment and each scenario's outcome; all from the panel of the application
page (ins.ins_panel)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from guichet.applications.selectors import get_application
from guichet.common.access import login_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.instruction import ins
from guichet.instruction.models import DayAgreement, ScenarioOutcome


class TestDayForm(forms.Form):
    day = forms.DateField(
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": "Indiquez la date de la journée de tests.",
            "invalid": "Indiquez une date valide, au format JJ/MM/AAAA.",
        },
    )
    note = forms.CharField(required=False, max_length=ins.TEXT_MAX_LENGTH)


def _back(pk) -> str:
    return reverse("applications:detail", args=[pk]) + "#ins"


def _refused(request, exc: ApplicationError) -> None:
    if exc.extra.get("status") == 403:
        raise PermissionDenied(exc.message)
    messages.error(request, exc.message)


@login_required
@require_POST
def ins_propose(request, pk):
    application = get_application(request.user, pk)
    form = TestDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(_back(pk))
    try:
        test_day = ins.propose_test_day(
            by=request.user, application=application, **form.cleaned_data
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        days = (test_day.day - timezone.localdate()).days
        messages.success(
            request,
            f"Journée de tests INS proposée le {french_date(test_day.day)}"
            + (f" (dans {days} jour{'s' if days > 1 else ''})" if days > 0 else " (aujourd'hui)")
            + (
                " : elle est confirmée."
                if test_day.agreement == DayAgreement.CONFIRMED
                else " : l'instructeur en est prévenu par courriel et la confirme ou propose une "
                "autre date."
            )
            + " Vous pouvez la déplacer jusqu'à ce jour-là, tant qu'aucun résultat n'est "
            "enregistré.",
        )
    return redirect(_back(pk))


@login_required
@require_POST
def ins_result(request, pk):
    application = get_application(request.user, pk)
    try:
        result = ins.record_scenario_result(
            by=request.user,
            application=application,
            scenario=request.POST.get("scenario", ""),
            outcome=request.POST.get("outcome", ""),
            comment=request.POST.get("comment", ""),
        )
    except ApplicationError as exc:
        _refused(request, exc)
        return redirect(_back(pk))
    overview = ins.ins_overview(application)
    code = next(row.scenario.code for row in overview.rows if row.scenario.id == result.scenario_id)
    text = f"Scénario {code} : « {ScenarioOutcome(result.outcome).label} » enregistré."
    if overview.finished:
        text += " Journée de tests terminée : le candidat voit les résultats et en est prévenu."
    else:
        text += ngettext(
            " %(n)d résultat sur %(total)d : enregistrez les suivants.",
            " %(n)d résultats sur %(total)d : enregistrez les suivants.",
            overview.recorded,
        ) % {"n": overview.recorded, "total": len(overview.rows)}
    messages.success(request, text)
    return redirect(_back(pk))


@login_required
@require_POST
def ins_confirm(request, pk):
    application = get_application(request.user, pk)
    try:
        test_day = ins.confirm_test_day(by=request.user, application=application)
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            f"Journée de tests INS confirmée le {french_date(test_day.day)} : le candidat en est "
            "prévenu par courriel.",
        )
    return redirect(_back(pk))


@login_required
@require_POST
def ins_agency_propose(request, pk):
    application = get_application(request.user, pk)
    form = TestDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(_back(pk))
    try:
        test_day = ins.propose_other_day(
            by=request.user, application=application, **form.cleaned_data
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            f"Le {french_date(test_day.day)} est proposé au candidat pour la journée de tests "
            "INS : il en est prévenu par courriel et l'accepte ou propose une autre date.",
        )
    return redirect(_back(pk))


@login_required
@require_POST
def ins_accept(request, pk):
    application = get_application(request.user, pk)
    try:
        test_day = ins.accept_agency_day(by=request.user, application=application)
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            f"Journée de tests INS confirmée le {french_date(test_day.day)} : l'instructeur en "
            "est prévenu par courriel.",
        )
    return redirect(_back(pk))


def _posted_attendees(data) -> list[dict]:
    """The form's rows « attendee-N-side/name/role », the empty ones left out."""
    numbers = sorted(
        {
            int(key.split("-")[1])
            for key in data
            if key.startswith("attendee-") and key.count("-") == 2 and key.split("-")[1].isdigit()
        }
    )[: ins.ATTENDEES_MAX + 1]
    rows = [
        {field: data.get(f"attendee-{n}-{field}", "") for field in ("side", "name", "role")}
        for n in numbers
    ]
    return [row for row in rows if row["name"].strip() or row["role"].strip()]


@login_required
@require_POST
def ins_attendance(request, pk):
    application = get_application(request.user, pk)
    try:
        test_day = ins.record_attendance(
            by=request.user,
            application=application,
            attendees=_posted_attendees(request.POST),
            environment=request.POST.get("environment", ""),
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        count = len(test_day.attendees)
        messages.success(
            request,
            ngettext(
                "Participants de la journée de tests INS enregistrés (%(n)d personne) et "
                "environnement de test : le candidat les voit sur sa page.",
                "Participants de la journée de tests INS enregistrés (%(n)d personnes) et "
                "environnement de test : le candidat les voit sur sa page.",
                count,
            )
            % {"n": count},
        )
    return redirect(_back(pk))
