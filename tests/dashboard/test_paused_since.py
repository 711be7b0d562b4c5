"""The clock's state keeps the day its stop began (`paused_since`), for the dashboard's
« stopped for more than 20 days » (R-CLK-9, DMN guide §5.2): after every transition, and by
the daily sweep."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from guichet.instruction.clockstate import sweep
from guichet.instruction.models import ClockState
from tests.dashboard.world import answer_information, complete, request_information
from tests.instruction.instruction_world import on, small_version

pytestmark = pytest.mark.django_db

D = dt.date


def paused_since(application):
    return ClockState.objects.get(application=application).paused_since


@pytest.fixture
def cast(applicant, instructor):
    return {"applicant": applicant, "instructor": instructor}


def test_r_clk_9_a_request_stores_the_day_the_clock_stopped_and_its_answer_clears_it(
    catalogue, cast
):
    application = complete(small_version("DMN"), cast, D(2027, 1, 20), assign=True)
    assert paused_since(application) is None
    request = request_information(application, cast, D(2027, 1, 29))
    assert paused_since(application) == D(2027, 1, 29)
    sweep(today=D(2027, 3, 1), every=True)  # the sweep computes the same day
    assert paused_since(application) == D(2027, 1, 29)
    answer_information(application, cast, request, D(2027, 3, 2))
    assert paused_since(application) is None


def test_r_clk_9_a_tlc_request_does_not_stop_the_clock(catalogue, cast):
    application = complete(small_version("TLC"), cast, D(2027, 1, 20), assign=True)
    request_information(application, cast, D(2027, 1, 29))
    state = ClockState.objects.get(application=application)
    assert state.running and state.paused_since is None


def test_the_migration_has_the_next_sweep_write_the_day_of_the_clocks_stopped_before_it(
    catalogue, cast
):
    application = complete(small_version("DMN"), cast, D(2027, 1, 20), assign=True)
    request_information(application, cast, D(2027, 1, 29))
    # A clock's state as it stood before the field existed: stopped, not due for a sweep.
    ClockState.objects.filter(application=application).update(
        paused_since=None, next_check=D(2027, 2, 8)
    )
    sweep(today=D(2027, 2, 1))
    assert paused_since(application) is None  # not due: the sweep does not look at it
    migration = importlib.import_module("guichet.instruction.migrations.0003_clock_paused_since")
    with on(D(2027, 2, 1)):
        migration.mark_stopped_clocks(apps, None)
        sweep(today=D(2027, 2, 1))
    assert paused_since(application) == D(2027, 1, 29)
