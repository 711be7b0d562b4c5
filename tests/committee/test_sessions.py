"""The collège's sessions and agenda (R-DEC-1): created ahead with agents and partners, weekly
by default (the next N weeks generated, existing dates skipped); the agenda takes the dossiers
whose instruction is finished and those accepted by silence, oldest completion first; a dossier
moves to the next session with a reason."""

import datetime as dt

import pytest

from guichet.accounts.models import Role
from guichet.applications.workflow import transition
from guichet.committee import selectors, services
from guichet.committee.models import AgendaItem, CommitteeSession, SessionMember
from guichet.common.errors import ApplicationError
from guichet.instruction.verdicts import set_proof_verdicts
from guichet.journal.models import JournalEntry
from tests.committee.committee_world import finished, session_on, small_dmn, small_tlc
from tests.conftest import make_staff
from tests.instruction.instruction_world import in_instruction, on, proof_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def dmn_small(catalogue):
    return small_dmn()


@pytest.fixture
def tlc_small(catalogue):
    return small_tlc()


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
