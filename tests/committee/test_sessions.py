"""The collège's sessions and agenda (R-DEC-1): created ahead with agents and partners, weekly
by default (the next N weeks generated, existing dates skipped); the agenda takes the dossiers
whose instruction is finished and those accepted by silence, oldest completion first; a dossier
moves to the next session with a reason."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from guichet.accounts.models import Role
from guichet.applications.workflow import transition
from guichet.committee import selectors, services
from guichet.committee.models import AgendaItem, CommitteeSession, SessionMember
from guichet.common.errors import ApplicationError
from guichet.instruction.clockstate import sweep
from guichet.instruction.verdicts import set_proof_verdicts
from guichet.journal.models import JournalEntry
from tests.committee.committee_world import decide, finished, session_on, small_dmn, small_tlc
from tests.conftest import committed, make_staff
from tests.instruction.instruction_world import complete_dossier, in_instruction, on, proof_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def dmn_small(catalogue):
    return small_dmn()


@pytest.fixture
def tlc_small(catalogue):
    return small_tlc()


def text(response) -> str:
    return html.unescape(response.content.decode())


def refusal(exc) -> tuple[int, str]:
    return exc.value.extra.get("status"), exc.value.message


def test_r_dec_1_a_session_is_created_ahead_with_agents_and_partners_by_name_and_body(
    committee_member, instructor, applicant
):
    with on(dt.date(2027, 3, 1)):
        session = services.create_session(
            by=committee_member,
            date=dt.date(2027, 3, 4),
            members=[
                {"user": committee_member.pk},
                {"user": instructor.pk},
                {"user": committee_member.pk},  # seated once
                {"name": "Dr Claire Dupont", "body": "cnda"},
                {"name": "M. Paul Petit", "body": "has"},
            ],
        )
        assert sorted(session.members.values_list("name", "body", "user")) == sorted(
            [
                (committee_member.get_full_name(), "ans", committee_member.pk),
                (instructor.get_full_name(), "ans", instructor.pk),
                ("Dr Claire Dupont", "cnda", None),
                ("M. Paul Petit", "has", None),
            ]
        )
        entry = JournalEntry.objects.get(action="committee.session_create")
        assert entry.after["date"] == "2027-03-04" and len(entry.after["members"]) == 4
        # Refused, nothing created: a past date, a taken date, an unknown body, an applicant.
        for members, date, expected in (
            (
                [],
                dt.date(2027, 2, 28),
                (
                    400,
                    "Une séance se prévoit à l'avance : choisissez une "
                    "date à partir d'aujourd'hui (1er mars 2027).",
                ),
            ),
            (
                [],
                dt.date(2027, 3, 4),
                (
                    409,
                    "Une séance du collège est déjà prévue le 4 mars "
                    "2027 : ouvrez-la pour la compléter.",
                ),
            ),
            ([{"name": "X", "body": "ars"}], dt.date(2027, 3, 11), (400, None)),
            ([{"user": applicant.pk}], dt.date(2027, 3, 11), (400, None)),
            ([{"name": " ", "body": "cnam"}], dt.date(2027, 3, 11), (400, None)),
        ):
            with pytest.raises(ApplicationError) as refused:
                services.create_session(by=committee_member, date=date, members=members)
            status, message = refusal(refused)
            assert status == expected[0]
            if expected[1]:
                assert message == expected[1]
            else:
                assert message.startswith("Membres refusés, rien n'a été enregistré")
    assert CommitteeSession.objects.count() == 1 and SessionMember.objects.count() == 4


def test_r_dec_1_the_next_weeks_are_generated_on_the_chosen_weekday_existing_dates_skipped(
    committee_member, agency_admin
):
    other = make_staff("college2@agence.test", Role.COMMITTEE)
    with on(dt.date(2027, 3, 1)):  # a Monday
        kept = session_on(dt.date(2027, 3, 4), by=committee_member)
        created, skipped = services.generate_sessions(by=agency_admin, weekday=3, weeks=3)
        assert [s.date for s in created] == [dt.date(2027, 3, 11), dt.date(2027, 3, 18)]
        assert skipped == [dt.date(2027, 3, 4)]
        assert list(kept.members.all()) == []  # left as it was
        for session in created:
            assert {m.user for m in session.members.all()} == {committee_member, other}
        entry = JournalEntry.objects.get(action="committee.sessions_generate")
        assert entry.after == {
            "weekday": "jeudi",
            "weeks": 3,
            "created": ["2027-03-11", "2027-03-18"],
            "skipped": ["2027-03-04"],
        }
        # On a Thursday, the next Thursday comes first (a session is created ahead).
        with on(dt.date(2027, 3, 18)):
            assert services.week_dates(weekday=3, weeks=1) == [dt.date(2027, 3, 25)]
        for weekday, weeks in ((5, 2), (3, 0), (3, 53)):
            with pytest.raises(ApplicationError) as refused:
                services.generate_sessions(by=agency_admin, weekday=weekday, weeks=weeks)
            assert refusal(refused)[0] == 400
    assert CommitteeSession.objects.count() == 3


def test_r_dec_1_the_agenda_takes_finished_instructions_oldest_completion_first(
    dmn_small, applicant, instructor, committee_member
):
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2027, 3, 3)):
        later = finished(dmn_small, **cast)
    with on(dt.date(2027, 3, 1)):
        earlier = finished(dmn_small, **cast)
    with on(dt.date(2027, 3, 2)):
        still = in_instruction(dmn_small, **cast)
    with on(dt.date(2027, 3, 5)):
        with pytest.raises(ApplicationError) as none_planned:
            services.fill_agenda(by=committee_member)
        assert refusal(none_planned)[0] == 409
        first = session_on(dt.date(2027, 3, 11), by=committee_member)
        second = session_on(dt.date(2027, 3, 18), by=committee_member)
        added = services.fill_agenda(by=committee_member)
        assert [item.application for item in added] == [earlier, later]
        assert list(first.agenda.values_list("application", "position")) == [
            (earlier.pk, 1),
            (later.pk, 2),
        ]
        assert still not in [i.application for i in first.agenda.all()]
        # Already on a session to come: not put on another one.
        assert services.fill_agenda(by=committee_member, session=second) == []
        assert selectors.dossiers_to_schedule().count() == 0
        # A dossier finished now goes straight to the next planned session.
        set_proof_verdicts(
            still, by=instructor, opinions={pk: ("conforme", "") for pk in proof_ids(still)}
        )
        transition(still, "finish_instruction", by=instructor)
    assert AgendaItem.objects.get(application=still).session == first
    assert [row.application for row in selectors.agenda_rows(first)] == [earlier, still, later]


def test_r_dec_1_a_dossier_moves_to_the_next_session_with_a_reason(
    dmn_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 3, 1)):
        first = session_on(dt.date(2027, 3, 4), by=committee_member)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
        item = application.agenda_items.get()
        with pytest.raises(ApplicationError) as no_reason:
            services.move_to_next_session(item, by=committee_member, reason="  ")
        assert refusal(no_reason) == (400, "Indiquez le motif du report au collège suivant.")
        with pytest.raises(ApplicationError) as nowhere:
            services.move_to_next_session(item, by=committee_member, reason="Rapporteur absent.")
        assert refusal(nowhere)[0] == 409
        with pytest.raises(ApplicationError) as not_allowed:
            services.move_to_next_session(item, by=instructor, reason="Rapporteur absent.")
        assert refusal(not_allowed)[0] == 403
        second = session_on(dt.date(2027, 3, 11), by=committee_member)
        services.move_to_next_session(item, by=committee_member, reason="Rapporteur absent.")
    item.refresh_from_db()
    assert (item.session, item.moved_to, item.moved_reason) == (
        first,
        second,
        "Rapporteur absent.",
    )
    assert second.agenda.get().application == application
    rows = selectors.agenda_rows(first)
    assert rows[0].item.moved_to == second and not rows[0].to_decide
    entry = JournalEntry.objects.get(action="committee.agenda_move")
    assert entry.before["session"] == "2027-03-04"
    assert entry.after == {"session": "2027-03-11", "reason": "Rapporteur absent."}
    assert entry.application_id == ""  # the collège's preparation stays the agency's


def test_r_dec_1_reopening_the_instruction_takes_the_dossier_off_the_agenda(
    dmn_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(dt.date(2027, 3, 4), by=committee_member)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
        assert session.agenda.count() == 1
        transition(application, "reopen_instruction", by=instructor, reason="Preuve à revoir.")
    assert session.agenda.count() == 0


def test_r_dec_1_instructors_of_the_agenda_are_proposed_and_the_has_on_tlc_only_is_a_warning(
    dmn_small, tlc_small, applicant, instructor, committee_member
):
    other_instructor = make_staff("autre-instructeur@agence.test", Role.INSTRUCTOR)
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Pr Laure Blanc", "body": "has"}],
        )
        tlc_dossier = finished(tlc_small, applicant=applicant, instructor=instructor)
    rows = selectors.agenda_rows(session)
    applications = [row.application for row in rows]
    assert selectors.proposed_agents(session, applications) == [instructor]
    assert other_instructor not in selectors.proposed_agents(session, applications)
    assert selectors.session_warnings(list(session.members.all()), applications) == [
        "HAS siège alors qu'aucun dossier de l'ordre du jour ne l'appelle : les référentiels "
        "des dossiers inscrits ne prévoient pas la HAS au collège."
    ]
    # A DMN dossier on the agenda calls for the HAS (DMN guide §5.3): no warning.
    with on(dt.date(2027, 3, 2)):
        finished(dmn_small, applicant=applicant, instructor=instructor)
    applications = [row.application for row in selectors.agenda_rows(session)]
    assert tlc_dossier in applications
    assert selectors.session_warnings(list(session.members.all()), applications) == []


def test_r_dec_1_r_clk_7_a_session_for_today_takes_the_ready_dossiers_waiting_on_a_later_one(
    client, dmn_small, tlc_small, applicant, instructor, committee_member
):
    """The user's walk: the weeks generated on a Thursday start the next Thursday, so a dossier
    finished that day (and a silence the sweep records) went on next week's agenda; the session
    then created for the same day takes them, oldest completion first, and next week's agenda
    says where they went and why."""
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2027, 1, 11)):  # TLC, complete: the agency has until 11 July (R-CLK-2)
        silent = complete_dossier(tlc_small, **cast)
    with on(dt.date(2027, 1, 12)):
        transition(silent, "assign", by=instructor, lead=instructor)
    with on(dt.date(2027, 7, 15)):  # a Thursday
        next_week, _ = services.generate_sessions(by=committee_member, weekday=3, weeks=2)[0]
        assert next_week.date == dt.date(2027, 7, 22)
        with committed():
            assert sweep(today=dt.date(2027, 7, 15)).silently_accepted == 1
        ready = finished(dmn_small, **cast)
        for application in (silent, ready):
            assert application.agenda_items.get().session == next_week
        today = session_on(dt.date(2027, 7, 15), by=committee_member)
        client.force_login(committee_member)
        page = text(client.get(reverse("committee:sessions")))
        assert (
            "2 dossiers prêts (instruction terminée ou acceptation tacite) ne sont pas à l'ordre "
            "du jour de la prochaine séance, le jeudi 15 juillet 2027." in page
        )
        filled = text(client.post(reverse("committee:agenda-fill", args=[today.pk]), follow=True))
        assert "2 dossiers inscrits à l'ordre du jour" in filled
        # Filled again: nothing left to take, and the page says why.
        again = text(client.post(reverse("committee:agenda-fill", args=[today.pk]), follow=True))
        assert "Aucun dossier à inscrire" in again
    silent.refresh_from_db()
    assert silent.status == "silently_accepted"
    assert list(today.agenda.values_list("application", "position")) == [
        (silent.pk, 1),
        (ready.pk, 2),
    ]
    reason = (
        "Avancé à la séance du 15 juillet 2027 : le collège prend les dossiers prêts à sa "
        "première séance."
    )
    left = AgendaItem.objects.filter(session=next_week).order_by("application__id")
    assert [(i.application, i.moved_to, i.moved_reason) for i in left] == [
        (silent, today, reason),
        (ready, today, reason),
    ]
    assert not any(row.to_decide for row in selectors.agenda_rows(next_week))
    assert all(row.to_decide for row in selectors.agenda_rows(today))
    moves = JournalEntry.objects.filter(action="committee.agenda_move").order_by("id")
    assert [(e.before["reference"], e.before["session"], e.after) for e in moves] == [
        (a.reference, "2027-07-22", {"session": "2027-07-15", "reason": reason})
        for a in (silent, ready)
    ]
    page = text(client.get(reverse("committee:session", args=[next_week.pk])))
    assert "Avancé au collège du 15 juillet 2027" in page and "Motif : " + reason in page


def test_r_dec_1_a_dossier_left_undecided_by_a_past_session_goes_to_the_next_one(
    dmn_small, applicant, instructor, committee_member
):
    with on(dt.date(2027, 3, 1)):
        past = session_on(dt.date(2027, 3, 4), by=committee_member)
        application = finished(dmn_small, applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 8)):
        following = session_on(dt.date(2027, 3, 11), by=committee_member)
        (added,) = services.fill_agenda(by=committee_member)
    assert (added.session, added.application) == (following, application)
    item = AgendaItem.objects.get(session=past)
    assert item.moved_to == following
    assert item.moved_reason == (
        "La séance du 4 mars 2027 est passée sans décider de ce dossier : il est inscrit à celle "
        "du 11 mars 2027."
    )
    assert selectors.current_agenda_item(application).session == following
    assert JournalEntry.objects.get(action="committee.agenda_move").after["session"] == (
        "2027-03-11"
    )


def test_r_dec_1_a_held_session_leaves_the_sessions_to_come_and_keeps_its_dossiers(
    client, api, dmn_small, applicant, instructor, committee_member
):
    cast = {"applicant": applicant, "instructor": instructor}
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Dr Dupont", "body": "cnda"}],
        )
        decided = finished(dmn_small, **cast)
        waiting = finished(dmn_small, **cast)
        session_on(dt.date(2027, 3, 11), by=committee_member)
    with on(dt.date(2027, 3, 4)):
        decide(session, decided, by=committee_member)
        session.refresh_from_db()
        assert session.status == "held"
        assert [s.date for s in selectors.upcoming_sessions()] == [dt.date(2027, 3, 11)]
        assert [s.date for s in selectors.past_sessions()] == [dt.date(2027, 3, 4)]
        client.force_login(committee_member)
        page = text(client.get(reverse("committee:sessions")))
        to_come = page.split("<h2>Séances à venir</h2>")[1].split("<h2>Séances tenues")[0]
        assert "4 mars 2027" not in to_come and "11 mars 2027" in to_come
        # The session held today still decides its other dossier: the next one leaves it there.
        assert services.fill_agenda(by=committee_member) == []
        assert selectors.current_agenda_item(waiting).session == session
        # A second session that day: refused, the refusal leads to the one held.
        response = client.post(
            reverse("committee:session-create"), {"date": "2027-03-04"}, follow=True
        )
        body = text(response)
        assert (
            "La séance du collège du 4 mars 2027 est déjà tenue : ouvrez-la pour relire ses "
            "décisions, ou choisissez une autre date." in body
        )
        assert f'<a href="/agence/college/seances/{session.pk}/">Ouvrir cette séance</a>' in body
        api.force_authenticate(committee_member)
        refused = api.post("/api/v1/committee/sessions/", {"date": "2027-03-04"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["session"] == session.pk
    assert refused.json()["session_url"].endswith(f"/api/v1/committee/sessions/{session.pk}")
    assert CommitteeSession.objects.count() == 2
