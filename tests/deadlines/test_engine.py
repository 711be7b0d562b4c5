"""The legal clock (R-CLK-2 … R-CLK-7): exact dates from the guides, then properties."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.deadlines import Event, evaluate

D = dt.date
COMPLETE = Event("complete", D(2026, 1, 10))


def test_r_clk_2_dmn_deadline_is_60_days_after_the_acknowledgment():
    clock = evaluate("DMN", [COMPLETE], D(2026, 1, 10))
    assert clock.deadline == D(2026, 3, 11) and clock.days_left == 60 and clock.running
    assert clock.paused_reason is None and clock.flags == frozenset()


def test_r_clk_2_tlc_deadline_is_6_months_after_the_complete_dossier_clamped_to_month_end():
    clock = evaluate("TLC", [Event("complete", D(2026, 8, 31))], D(2026, 9, 1))
    assert clock.deadline == D(2027, 2, 28) and clock.days_left == 180
    assert evaluate("TLC", [COMPLETE], D(2026, 1, 10)).deadline == D(2026, 7, 10)


def test_r_clk_2_no_complete_dossier_no_deadline():
    clock = evaluate("DMN", [Event("activity", D(2026, 1, 5))], D(2026, 2, 1))
    assert clock.deadline is None and clock.days_left is None and not clock.running


def test_r_clk_2_days_left_become_negative_once_overdue():
    clock = evaluate("DMN", [COMPLETE], D(2026, 3, 14))
    assert clock.days_left == -3 and "overdue" in clock.flags


def test_r_clk_3_dmn_information_request_stops_the_clock_until_the_answer():
    request = Event("request", D(2026, 1, 20))
    waiting = evaluate("DMN", [COMPLETE, request], D(2026, 2, 5))
    later = evaluate("DMN", [COMPLETE, request], D(2026, 2, 9))
    assert not waiting.running and waiting.days_left == later.days_left == 50  # frozen
    assert waiting.paused_reason.startswith("Délai suspendu depuis le 20 janvier 2026")
    answered = evaluate("DMN", [COMPLETE, request, Event("answer", D(2026, 1, 25))], D(2026, 2, 5))
    assert answered.running and answered.deadline == D(2026, 3, 16)  # 5 days later


def test_r_clk_3_overlapping_dmn_requests_count_each_day_once():
    events = [
        COMPLETE,
        Event("request", D(2026, 1, 20)),
        Event("request", D(2026, 1, 22)),
        Event("answer", D(2026, 1, 25)),  # closes the first
        Event("answer", D(2026, 1, 30)),  # closes the second
    ]
    assert evaluate("DMN", events, D(2026, 2, 5)).deadline == D(2026, 3, 21)  # 10 days


def test_r_clk_3_tlc_information_request_does_not_stop_the_clock():
    clock = evaluate("TLC", [COMPLETE, Event("request", D(2026, 1, 20))], D(2026, 3, 1))
    assert clock.running and clock.deadline == D(2026, 7, 10)
    assert not {"no_answer_10", "no_answer_20", "no_answer_30"} & clock.flags


def test_r_clk_4_dmn_unanswered_request_flags_at_10_20_and_30_days():
    events = [COMPLETE, Event("request", D(2026, 1, 20))]
    assert evaluate("DMN", events, D(2026, 1, 29)).flags == frozenset()
    assert evaluate("DMN", events, D(2026, 1, 30)).flags == {"no_answer_10"}
    assert evaluate("DMN", events, D(2026, 2, 9)).flags == {"no_answer_10", "no_answer_20"}
    assert evaluate("DMN", events, D(2026, 2, 19)).flags == {
        "no_answer_10",
        "no_answer_20",
        "no_answer_30",
    }
    answered = [*events, Event("answer", D(2026, 2, 19))]
    assert evaluate("DMN", answered, D(2026, 2, 25)).flags == frozenset()


def test_r_clk_5_dmn_missing_items_stop_the_clock_and_abandon_past_their_due_date():
    notice = Event("missing", D(2026, 2, 1), due=D(2026, 2, 11))
    waiting = evaluate("DMN", [COMPLETE, notice], D(2026, 2, 11))
    assert not waiting.running and "abandoned" not in waiting.flags
    assert "à fournir avant le 11 février 2026" in waiting.paused_reason
    assert "abandoned" in evaluate("DMN", [COMPLETE, notice], D(2026, 2, 12)).flags
    received = evaluate("DMN", [COMPLETE, notice, Event("received", D(2026, 2, 8))], D(2026, 3, 1))
    assert received.running and received.deadline == D(2026, 3, 18)  # 7 days later


def test_r_clk_5_tlc_missing_items_restart_the_6_months_on_reception():
    notice = Event("missing", D(2026, 2, 1), due=D(2026, 4, 2))
    waiting = evaluate("TLC", [COMPLETE, notice], D(2026, 3, 1))
    assert waiting.deadline is None and not waiting.running
    assert "repart à leur réception" in waiting.paused_reason
    assert "abandoned" in evaluate("TLC", [COMPLETE, notice], D(2026, 4, 3)).flags
    received = evaluate("TLC", [COMPLETE, notice, Event("received", D(2026, 3, 15))], D(2026, 4, 1))
    assert received.running and received.deadline == D(2026, 9, 15)


def test_r_clk_6_dmn_application_without_change_for_6_months_is_flagged_inactive():
    events = [Event("activity", D(2026, 1, 5))]
    assert "inactive" not in evaluate("DMN", events, D(2026, 7, 5)).flags
    assert "inactive" in evaluate("DMN", events, D(2026, 7, 6)).flags
    assert "inactive" in evaluate("DMN", [COMPLETE], D(2026, 7, 11)).flags  # any state


def test_r_clk_6_tlc_only_an_incomplete_application_is_flagged_inactive():
    assert "inactive" in evaluate("TLC", [Event("activity", D(2026, 1, 5))], D(2026, 7, 6)).flags
    complete = evaluate("TLC", [COMPLETE], D(2026, 7, 11))
    assert "inactive" not in complete.flags and "silent_acceptance" in complete.flags


def test_r_clk_7_tlc_silence_past_the_6_months_is_acceptance():
    assert "silent_acceptance" not in evaluate("TLC", [COMPLETE], D(2026, 7, 10)).flags
    assert evaluate("TLC", [COMPLETE], D(2026, 7, 11)).flags == {"overdue", "silent_acceptance"}
    assert "silent_acceptance" not in evaluate("DMN", [COMPLETE], D(2026, 7, 11)).flags


def test_r_clk_2_a_decision_stops_the_clock_and_raises_only_decided():
    events = [COMPLETE, Event("request", D(2026, 1, 20)), Event("decision", D(2026, 2, 1))]
    clock = evaluate("DMN", events, D(2026, 9, 1))
    assert clock.flags == {"decided"} and not clock.running and clock.days_left is None
    assert clock.deadline == D(2026, 3, 23)  # as it stood on the day of the decision


def test_unknown_referential_or_event_kind_is_refused():
    import pytest

    with pytest.raises(ValueError):
        evaluate("XYZ", [COMPLETE], D(2026, 1, 1))
    with pytest.raises(ValueError):
        Event("sollicitation", D(2026, 1, 1))


# --- properties ------------------------------------------------------------------------------

days = st.integers(min_value=0, max_value=400)
START = D(2026, 1, 1)


def at(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


REFERENTIALS = st.sampled_from(["DMN", "TLC"])


@st.composite
def histories(draw):
    """A complete dossier, then requests and missing-items notices, each answered (or
    received) later or still open, and other activity: what the platform records."""
    complete = draw(st.integers(min_value=0, max_value=60))
    events = [Event("complete", at(complete))]
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        kind = draw(st.sampled_from(["request", "missing", "activity"]))
        on = at(complete + draw(days))
        if kind == "activity":
            events.append(Event(kind, on))
            continue
        due = on + dt.timedelta(days=draw(st.integers(10, 60))) if kind == "missing" else None
        events.append(Event(kind, on, due))
        length = draw(st.none() | st.integers(min_value=0, max_value=90))
        if length is not None:
            closing = "answer" if kind == "request" else "received"
            events.append(Event(closing, on + dt.timedelta(days=length)))
    return draw(REFERENTIALS), events, at(complete + draw(days))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories(), st.randoms(use_true_random=False))
def test_r_clk_2_the_result_never_depends_on_the_order_of_events(history, rng):
    referential, events, today = history
    shuffled = list(events)
    rng.shuffle(shuffled)
    assert evaluate(referential, shuffled, today) == evaluate(referential, events, today)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    histories(),
    st.lists(
        st.tuples(
            st.sampled_from(["request", "answer", "missing", "received", "activity"]),
            st.integers(1, 200),
        ),
        max_size=6,
    ),
)
def test_r_clk_2_events_before_the_complete_dossier_change_nothing(history, earlier):
    referential, events, today = history
    complete = events[0].on
    before = [
        Event(kind, complete - dt.timedelta(days=back), complete if kind == "missing" else None)
        for kind, back in earlier
    ]
    assert evaluate(referential, events + before, today) == evaluate(referential, events, today)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories(), days, st.integers(min_value=0, max_value=90))
def test_r_clk_3_a_stop_never_shortens_the_deadline(history, offset, length):
    referential, events, today = history
    complete = events[0].on
    kind, closing = ("request", "answer") if referential == "DMN" else ("missing", "received")
    start = complete + dt.timedelta(days=offset)
    due = start + dt.timedelta(days=60) if kind == "missing" else None
    stopped = [*events, Event(kind, start, due), Event(closing, start + dt.timedelta(days=length))]
    without = evaluate(referential, events, today)
    with_stop = evaluate(referential, stopped, today)
    if without.deadline is not None and with_stop.deadline is not None:
        assert with_stop.deadline >= without.deadline


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(0, 60), st.integers(0, 120), st.integers(0, 90), st.integers(0, 400))
def test_r_clk_3_dmn_deadline_moves_by_exactly_the_stopped_days(complete, offset, length, later):
    start = at(complete + offset)
    events = [
        Event("complete", at(complete)),
        Event("request", start),
        Event("answer", start + dt.timedelta(days=length)),
    ]
    today = at(complete + later)
    base = evaluate("DMN", events[:1], today).deadline
    assert evaluate("DMN", events, today).deadline == base + dt.timedelta(days=length)


def _reading(clock):
    """What a daily sweep keeps of a clock: the deadline only while it runs."""
    return (clock.running, clock.paused_reason, clock.flags, clock.running and clock.deadline)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories(), st.integers(min_value=1, max_value=400))
def test_r_clk_2_nothing_changes_before_the_next_change_the_engine_announces(history, horizon):
    from guichet.deadlines import next_change

    referential, events, today = history
    events = [event for event in events if event.on <= today]  # what has happened by today
    due = next_change(referential, events, today)
    now = _reading(evaluate(referential, events, today))
    last = due - dt.timedelta(days=1) if due else today + dt.timedelta(days=horizon)
    day = today + dt.timedelta(days=1)
    while day <= last:
        assert _reading(evaluate(referential, events, day)) == now, (day, due)
        day += dt.timedelta(days=7 if (last - day).days > 30 else 1)


def test_r_clk_4_the_next_change_of_an_unanswered_dmn_request_is_its_next_threshold():
    from guichet.deadlines import next_change

    events = [COMPLETE, Event("request", D(2026, 1, 20))]
    assert next_change("DMN", events, D(2026, 1, 25)) == D(2026, 1, 30)
    assert next_change("DMN", events, D(2026, 1, 30)) == D(2026, 2, 9)
    assert next_change("DMN", [COMPLETE], D(2026, 1, 10)) == D(2026, 3, 12)  # overdue
    decided = [COMPLETE, Event("decision", D(2026, 2, 1))]
    assert next_change("DMN", decided, D(2026, 2, 2)) is None


def test_r_clk_9_paused_since_is_the_day_the_oldest_open_stop_began():
    from guichet.deadlines import paused_since

    request = Event("request", D(2026, 1, 20))
    missing = Event("missing", D(2026, 1, 25), D(2026, 2, 25))
    assert paused_since("DMN", [COMPLETE], D(2026, 2, 1)) is None  # running
    assert paused_since("DMN", [COMPLETE, request], D(2026, 2, 1)) == D(2026, 1, 20)
    assert paused_since("DMN", [COMPLETE, request, missing], D(2026, 2, 1)) == D(2026, 1, 20)
    answered = [COMPLETE, request, missing, Event("answer", D(2026, 1, 28))]
    assert paused_since("DMN", answered, D(2026, 2, 1)) == D(2026, 1, 25)  # still the items
    assert paused_since("DMN", [COMPLETE, request], D(2026, 1, 19)) is None  # not yet
    # TLC: a request does not stop the clock; missing items do.
    assert paused_since("TLC", [COMPLETE, request], D(2026, 2, 1)) is None
    assert paused_since("TLC", [COMPLETE, request, missing], D(2026, 2, 1)) == D(2026, 1, 25)
    # Not started, or ended by a decision: no stop.
    assert paused_since("DMN", [request], D(2026, 2, 1)) is None
    decided = [COMPLETE, request, Event("decision", D(2026, 1, 30))]
    assert paused_since("DMN", decided, D(2026, 2, 1)) is None


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories())
def test_r_clk_9_paused_since_is_the_day_the_pause_reason_names(history):
    from guichet.deadlines import french_date, paused_since

    referential, events, today = history
    clock = evaluate(referential, events, today)
    since = paused_since(referential, events, today)
    assert (since is not None) == (not clock.running and clock.paused_reason is not None)
    if since is not None:
        assert since <= today
        assert clock.paused_reason.startswith(f"Délai suspendu depuis le {french_date(since)} ")
