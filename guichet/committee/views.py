"""The collège technique's pages (R-DEC-1 … R-DEC-3): the sessions (to come, held), a session
with its members and its agenda — each dossier's verdicts, clock, convention and the decision
form —, the appeal decision of a decided dossier, and the decisions' part of the application
page. An agency area: an applicant finds nothing here (404), an agent who is not of the collège
reads but does not decide (403)."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from guichet.accounts.models import Role, User
from guichet.applications import extensions
from guichet.applications.models import DECIDED_STATES, Application
from guichet.applications.selectors import get_application
from guichet.committee import selectors, services
from guichet.committee.models import AgendaItem, Decision, Outcome
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
from guichet.instruction.queue import days_left_text

PAST_PAGE_SIZE = 20


def committee_area(view):
    """Signed-in agents only; anyone else signed in finds nothing (404), as the collège's
    sessions are no applicant's business."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.may_view(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _check_manager(request) -> None:
    refusal = selectors.manage_refusal(request.user)
    if refusal:
        raise PermissionDenied(refusal)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _int(value, *, field: str, label: str) -> int:
    try:
        number = int(str(value).strip() or 0)
    except ValueError:
        raise ApplicationError(
            f"{label} : indiquez un nombre entier.", field=field, extra={"status": 400}
        ) from None
    return number


# --- the sessions --------------------------------------------------------------------------------


@committee_area
def sessions_page(request):
    today = timezone.localdate()
    past = Paginator(selectors.past_sessions(today), PAST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    manager = selectors.may_manage(request.user)
    following = selectors.next_planned_session(today=today)
    # What the next session's « remplir » takes; with no session ahead, what waits for one.
    ready = (
        selectors.dossiers_for_agenda(following, today)
        if following
        else selectors.dossiers_to_schedule(today)
    )
    return render(
        request,
        "committee/sessions.html",
        {
            "upcoming": list(selectors.upcoming_sessions(today)),
            "page": past,
            "today": today,
            "may_manage": manager,
            "to_schedule": ready.count(),
            "next": following,
            "committee": list(
                User.objects.filter(role=Role.COMMITTEE, is_active=True).order_by(
                    "last_name", "email"
                )
            )
            if manager
            else [],
            "weekdays": list(enumerate(services.WEEKDAYS)),
            "max_weeks": services.MAX_WEEKS,
        },
    )


def _with_session_link(exc: ApplicationError):
    """A refusal that names a session (one session a day) links to it."""
    session = exc.extra.get("session")
    if session is None:
        return exc.message
    return format_html(
        '{} <a href="{}">Ouvrir cette séance</a>',
        exc.message,
        reverse("committee:session", args=[session]),
    )


@committee_area
@require_POST
def session_create(request):
    _check_manager(request)
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, "Date de la séance invalide : choisissez une date (AAAA-MM-JJ).")
        return redirect("committee:sessions")
    try:
        session = services.create_session(
            by=request.user,
            date=day,
            members=[
                {"user": _int(pk, field="agents", label="Membre")}
                for pk in request.POST.getlist("agents")
            ],
            notes=request.POST.get("notes", ""),
        )
    except ApplicationError as exc:
        messages.error(request, _with_session_link(exc))
        return redirect("committee:sessions")
    messages.success(
        request,
        f"Séance du {french_date(session.date)} créée. Ajoutez ses partenaires et remplissez son "
        "ordre du jour.",
    )
    return redirect("committee:session", pk=session.pk)


@committee_area
@require_POST
def sessions_generate(request):
    _check_manager(request)
    try:
        created, skipped = services.generate_sessions(
            by=request.user,
            weekday=_int(request.POST.get("weekday", ""), field="weekday", label="Jour"),
            weeks=_int(request.POST.get("weeks", ""), field="weeks", label="Nombre de semaines"),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("committee:sessions")
    text = _count(len(created), "séance créée", "séances créées")
    if created:
        text += " : " + ", ".join(french_date(s.date) for s in created)
    if skipped:
        text += (
            ". "
            + _count(
                len(skipped),
                "date déjà prévue, laissée telle",
                "dates déjà prévues, laissées telles",
            )
            + " : "
            + ", ".join(french_date(day) for day in skipped)
        )
    messages.success(request, text + ".")
    return redirect("committee:sessions")


# --- a session ---------------------------------------------------------------------------------


def _values(decision: Decision | None, proposed=()) -> dict:
    """The decision form's values: the decision recorded, or a blank form whose reservations
    are the non-conforme proofs the page proposes (R-DEC-2)."""
    proposal = [
        {"proof": p.proof, "text": p.text, "deadline": p.deadline.isoformat()} for p in proposed
    ]
    if decision is None or decision.is_signed_off:
        return {"votes_for": 0, "votes_against": 0, "abstentions": 0, "items": proposal}
    items = [
        {"proof": r.proof_id or "", "text": r.text, "deadline": r.deadline.isoformat()}
        for r in decision.reservation_items.all()
    ]
    return {
        "outcome": decision.outcome,
        "reasons": decision.reasons,
        "items": items or proposal,
        "reservations": "",
        "votes_for": decision.votes_for,
        "votes_against": decision.votes_against,
        "abstentions": decision.abstentions,
    }


def _session_response(request, session, *, posted=None, errors=None, status=200):
    today = timezone.localdate()
    rows = selectors.agenda_rows(session, today)
    members = selectors.seated_members(session)
    applications = [row.application for row in rows if row.item.moved_to_id is None]
    manager = selectors.may_manage(request.user)
    return render(
        request,
        "committee/session.html",
        {
            "session": session,
            "day": french_date(session.date),
            "day_has_come": session.date <= today,
            "rows": [
                {
                    "row": row,
                    "days_left": days_left_text(row.clock.days_left),
                    "values": (posted or {}).get(row.application.pk)
                    or _values(row.decision, row.proposed),
                    "errors": (errors or {}).get(row.application.pk, []),
                }
                for row in rows
            ],
            "members": members,
            "present_count": sum(1 for m in members if m.present),
            "proposed": selectors.proposed_agents(session, applications) if manager else [],
            "partners": selectors.PARTNERS,
            "warnings": selectors.session_warnings(members, applications),
            "may_manage": manager,
            "is_open": session.status == "planned",
        },
        status=status,
    )


@committee_area
def session_page(request, pk):
    return _session_response(request, selectors.get_session(request.user, pk))


def _back(session, anchor: str = ""):
    return redirect(
        reverse("committee:session", args=[session.pk]) + (f"#{anchor}" if anchor else "")
    )


@committee_area
@require_POST
def agenda_fill(request, pk):
    session = selectors.get_session(request.user, pk)
    _check_manager(request)
    try:
        added = services.fill_agenda(by=request.user, session=session)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if added:
            messages.success(
                request,
                f"{_count(len(added), 'dossier inscrit', 'dossiers inscrits')} à l'ordre du "
                "jour, du plus ancien dossier complet au plus récent.",
            )
        else:
            messages.info(
                request,
                "Aucun dossier à inscrire : chaque instruction terminée et chaque acceptation "
                "tacite est déjà à cet ordre du jour ou à celui d'une séance plus proche.",
            )
    return _back(session, "ordre-du-jour")


@committee_area
@require_POST
def members_add(request, pk):
    session = selectors.get_session(request.user, pk)
    _check_manager(request)
    try:
        members = [
            {"user": _int(value, field="agents", label="Agent")}
            for value in request.POST.getlist("agents")
        ]
        name = request.POST.get("partner_name", "").strip()
        if name or request.POST.get("partner_body"):
            members.append({"name": name, "body": request.POST.get("partner_body", "")})
        added = services.add_members(session, by=request.user, members=members)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Membres ajoutés : " + ", ".join(m.name for m in added) + ".")
    return _back(session, "membres")


@committee_area
@require_POST
def presence(request, pk):
    session = selectors.get_session(request.user, pk)
    _check_manager(request)
    try:
        members = services.set_presence(
            session, by=request.user, present_ids=request.POST.getlist("present")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        present = sum(1 for m in members if m.present)
        messages.success(
            request,
            f"Présence enregistrée : {_count(present, 'membre présent', 'membres présents')}.",
        )
    return _back(session, "membres")


@committee_area
@require_POST
def member_remove(request, pk, member):
    session = selectors.get_session(request.user, pk)
    _check_manager(request)
    try:
        services.remove_member(session, by=request.user, member_id=member)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Membre retiré de la séance.")
    return _back(session, "membres")


def _agenda_application(session, application_pk) -> Application:
    item = (
        AgendaItem.objects.filter(session=session, application_id=application_pk)
        .select_related("application")
        .first()
    )
    if item is None:
        raise Http404
    return item.application


def _posted_reservations(post) -> list[dict]:
    """The reservation rows of the form (R-DEC-2): each its text, deadline and proof, as
    typed; a row whose text was emptied is dropped by the service."""
    texts = post.getlist("reservation_text")
    deadlines = post.getlist("reservation_deadline")
    proofs = post.getlist("reservation_proof")
    return [
        {
            "text": text,
            "deadline": deadlines[i] if i < len(deadlines) else "",
            "proof": proofs[i] if i < len(proofs) else "",
        }
        for i, text in enumerate(texts)
    ]


def _reservations_of(posted: dict) -> list:
    """The rows are the page's proposal for an attribution « sous réserve »: sent with that
    outcome only; the lines typed below them always (the service refuses them elsewhere)."""
    rows = posted["items"] if posted["outcome"] == Outcome.GRANTED_WITH_RESERVATIONS else []
    return [*rows, *posted["reservations"].splitlines()]


@committee_area
@require_POST
def decision_record(request, pk, application):
    session = selectors.get_session(request.user, pk)
    _check_manager(request)
    application = _agenda_application(session, application)
    post = request.POST
    sign = post.get("action") == "sign_off"
    posted = {
        "outcome": post.get("outcome", ""),
        "reasons": post.get("reasons", ""),
        "items": _posted_reservations(post),
        "reservations": post.get("reservations", ""),
        "votes_for": post.get("votes_for", ""),
        "votes_against": post.get("votes_against", ""),
        "abstentions": post.get("abstentions", ""),
    }
    try:
        if sign and post.get("confirm") != "on":
            raise ApplicationError(
                "Cochez la case pour confirmer : une décision arrêtée est définitive.",
                extra={"status": 400},
            )
        decision = services.record_decision(
            by=request.user,
            session=session,
            application=application,
            outcome=posted["outcome"],
            reasons=posted["reasons"],
            reservations=_reservations_of(posted),
            votes_for=_int(posted["votes_for"], field="votes", label="Voix pour"),
            votes_against=_int(posted["votes_against"], field="votes", label="Voix contre"),
            abstentions=_int(posted["abstentions"], field="votes", label="Abstentions"),
        )
        if sign:
            decision = services.sign_off(decision, by=request.user)
    except ApplicationError as exc:
        # The page again, with what was typed (nothing is lost) and why not.
        return _session_response(
            request,
            session,
            posted={application.pk: posted},
            errors={application.pk: [exc.message]},
            status=exc.extra.get("status", 409),
        )
    if decision.is_signed_off:
        messages.success(
            request,
            f"Décision arrêtée sur {application.reference} : {decision.get_outcome_display()}. "
            "La lettre de décision est préparée, scellée et envoyée au contact référent.",
        )
    else:
        messages.success(
            request,
            f"Décision enregistrée sur {application.reference} : "
            f"{decision.get_outcome_display()}. Elle se corrige jusqu'à ce qu'elle soit arrêtée.",
        )
    return _back(session, f"dossier-{application.pk}")


@committee_area
@require_POST
def decision_sign_off(request, pk):
    _check_manager(request)
    decision = get_object_or_404(Decision.objects.select_related("application", "session"), pk=pk)
    back = (
        reverse("committee:session", args=[decision.session_id])
        + f"#dossier-{decision.application_id}"
        if decision.session_id
        else reverse("applications:detail", args=[decision.application_id]) + "#decision"
    )
    if request.POST.get("confirm") != "on":
        messages.error(
            request, "Cochez la case pour confirmer : une décision arrêtée est définitive."
        )
        return redirect(back)
    try:
        decision = services.sign_off(decision, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Décision arrêtée sur {decision.application.reference} : "
            f"{decision.get_outcome_display()}. La lettre de décision est préparée, scellée et "
            "envoyée au contact référent.",
        )
    return redirect(back)


@committee_area
@require_POST
def agenda_move(request, pk, application):
    session = selectors.get_session(request.user, pk)
    _check_manager(request)
    item = AgendaItem.objects.filter(session=session, application_id=application).first()
    if item is None:
        raise Http404
    try:
        item = services.move_to_next_session(
            item, by=request.user, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(session, f"dossier-{application}")
    messages.success(
        request,
        f"Dossier reporté à la séance du {french_date(item.moved_to.date)}, où il figure à "
        "l'ordre du jour.",
    )
    return _back(session, "ordre-du-jour")


# --- an appeal decision ----------------------------------------------------------------------------


@committee_area
def appeal_page(request, pk):
    application = get_application(request.user, pk)
    if application.status not in DECIDED_STATES:
        messages.info(
            request,
            "Une décision sur recours suit une décision arrêtée : ce dossier n'en a pas encore.",
        )
        return redirect(reverse("applications:detail", args=[pk]) + "#decision")
    posted, error, status = {}, "", 200
    if request.method == "POST":
        _check_manager(request)
        posted = {
            "outcome": request.POST.get("outcome", ""),
            "reasons": request.POST.get("reasons", ""),
            "reservations": request.POST.get("reservations", ""),
            "decided_on": request.POST.get("decided_on", ""),
        }
        try:
            try:
                decided_on = (
                    dt.date.fromisoformat(posted["decided_on"]) if posted["decided_on"] else None
                )
            except ValueError:
                raise ApplicationError(
                    "Date de la décision invalide : choisissez une date (AAAA-MM-JJ).",
                    extra={"status": 400},
                ) from None
            decision = services.record_appeal_decision(
                by=request.user,
                application=application,
                outcome=posted["outcome"],
                reasons=posted["reasons"],
                reservations=posted["reservations"].splitlines(),
                decided_on=decided_on,
            )
        except ApplicationError as exc:
            error, status = exc.message, exc.extra.get("status", 409)
        else:
            messages.success(
                request,
                f"Décision sur recours enregistrée : {decision.get_outcome_display()}. Relisez-la "
                "puis arrêtez-la : elle remplacera la décision précédente.",
            )
            return redirect(reverse("applications:detail", args=[pk]) + "#decision")
    settings = application.referential_version.process_settings
    return render(
        request,
        "committee/appeal.html",
        {
            "application": application,
            "decisions": selectors.decisions_of(application, request.user),
            "open": selectors.open_decision(application),
            "outcomes": [
                (o, Outcome(o).label) for o in settings.decision_outcomes if o in Outcome.values
            ],
            "offers_reservations": Outcome.GRANTED_WITH_RESERVATIONS in settings.decision_outcomes,
            "posted": posted,
            "error": error,
            "may_manage": selectors.may_manage(request.user),
            "today": timezone.localdate(),
        },
        status=status,
    )


# --- the application page ----------------------------------------------------------------------


@extensions.form("decision")
def decision_form(application) -> str:
    """Where the collège decides on this dossier: its session's page. A decided dossier shows
    no decision buttons: its decision panel offers the decision on appeal."""
    if application.status in DECIDED_STATES:
        return ""
    item = selectors.current_agenda_item(application)
    if item is not None:
        return reverse("committee:session", args=[item.session_id]) + f"#dossier-{application.pk}"
    return reverse("committee:sessions")


@extensions.panel
def decision_panel(request, application) -> dict | None:
    """The decisions on the application and their letters: the applicant sees those signed
    off; the agency every one, and where the dossier waits for the collège."""
    user = request.user
    decisions = selectors.decisions_of(application, user)
    # Where it waits for the collège: only while it does (an exceptional certificate granted,
    # R-CRT-4, leaves its session's agenda behind while the instruction goes on).
    waiting = (
        selectors.current_agenda_item(application)
        if user.is_agency and application.status in selectors.TO_DECIDE
        else None
    )
    if not decisions and waiting is None:
        return None
    return {
        "template": "committee/panel.html",
        "decisions": decisions,
        "waiting": waiting,
        "may_manage": selectors.may_manage(user),
        "decided": application.status in DECIDED_STATES,
        "appeal_routes": application.referential_version.process_settings.appeal_routes_in_letter,
    }


@extensions.issued_documents
def decision_letters(application, user) -> list[dict]:
    return [
        {
            "label": f"Lettre de décision du {french_date(decision.decided_on)} — "
            f"{decision.get_outcome_display()} (PDF scellé)",
            "date": decision.decided_on,
            "url": reverse("applications:file", args=[application.pk, decision.letter_id]),
        }
        for decision in selectors.decisions_of(application, user)
        if decision.is_signed_off and decision.letter_id
    ]
