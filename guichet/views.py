"""The project's own pages, above every app (the home page shows what the apps hold)."""

from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse

from guichet.common.access import login_required
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.referentials.selectors import published_versions


def home(request):
    return render(request, "home.html", {"versions": published_versions()})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page declares: DSFR's icon (its static
    address is read at request time, from the manifest in production)."""
    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)


@login_required
def work(request):
    """Where a person lands after signing in (issue 14 §2): an applicant, on its applications;
    the agency's staff, on a page of their own work — what awaits them, by role, each with its
    count and its page (a few counting queries, whatever the data)."""
    from guichet.accounts.models import RegistrationRequest, RegistrationStatus, Role
    from guichet.applications.models import INSTRUCTION_STATES, Application, Status
    from guichet.committee.selectors import next_planned_session

    user = request.user
    if not user.is_agency:
        return redirect("applications:list")
    role = user.role
    cards = []
    if role in (Role.SUPPORT, Role.AGENCY_ADMIN):
        pending = RegistrationRequest.objects.filter(status=RegistrationStatus.PENDING).count()
        cards.append(
            {
                "title": "Demandes de compte entreprise",
                "count": pending,
                "text": "à examiner" if pending else "aucune en attente",
                "url": reverse("accounts:registration-queue"),
                "action": "Examiner les demandes",
            }
        )
    if role in (Role.INSTRUCTOR, Role.AGENCY_ADMIN):
        applications = Application.objects.all()
        submitted = applications.filter(status=Status.SUBMITTED).count()
        cards.append(
            {
                "title": "Recevabilité",
                "count": submitted,
                "text": ngettext(
                    "candidature soumise à examiner", "candidatures soumises à examiner", submitted
                ),
                "url": reverse("applications:list") + f"?status={Status.SUBMITTED}",
                "action": "Voir les candidatures soumises",
            }
        )
        waiting = applications.filter(status=Status.COMPLETE).count()
        mine = applications.filter(status__in=INSTRUCTION_STATES, instructors=user).count()
        cards.append(
            {
                "title": "Instruction",
                "count": mine,
                "text": ngettext(
                    "dossier que vous instruisez", "dossiers que vous instruisez", mine
                )
                + ngettext(
                    " ; %(n)d dossier complet à attribuer",
                    " ; %(n)d dossiers complets à attribuer",
                    waiting,
                )
                % {"n": waiting},
                "url": reverse("instruction:queue"),
                "action": "Ouvrir la file d'instruction",
            }
        )
    if role in (Role.COMMITTEE, Role.AGENCY_ADMIN):
        session = next_planned_session()
        if session is None:
            cards.append(
                {
                    "title": "Collège technique",
                    "count": 0,
                    "text": "aucune séance prévue : prévoyez les prochaines",
                    "url": reverse("committee:sessions"),
                    "action": "Prévoir les séances",
                }
            )
        else:
            on_agenda = session.agenda.filter(moved_to__isnull=True).count()
            cards.append(
                {
                    "title": f"Collège technique du {french_date(session.date)}",
                    "count": on_agenda,
                    "text": ngettext(
                        "dossier à l'ordre du jour", "dossiers à l'ordre du jour", on_agenda
                    ),
                    "url": reverse("committee:session", args=[session.pk]),
                    "action": "Ouvrir la séance",
                }
            )
    return render(request, "work.html", {"cards": cards})
