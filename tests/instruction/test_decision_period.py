"""The decision period is data of the referential version (R-CLK-2): TLC's six months unless the
approving arrêté sets less (CSP R. 1470-4), DMN's sixty days."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from guichet.deadlines import Event, describe, evaluate, policy
from guichet.referentials.process import ProcessSettings, check_process
from guichet.referentials.selectors import get_version
from tests.instruction.clock_steps import request_missing_items, today
from tests.instruction.instruction_world import small_shipped, small_version
from tests.workflow import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_r_clk_2_the_catalogue_sets_the_current_periods(catalogue):
    """TLC guide §5.2: « l'ANS dispose de 6 mois à compter de la date de soumission de TOUTES les
    preuves »; DMN guide §5.2: « 60 jours calendaires »."""
    tlc = get_version("TLC", "1.4.2").process_settings
    dmn = get_version("DMN", "1.2.2").process_settings
    assert (tlc.decision_months, tlc.decision_days) == (6, 0)
    assert (dmn.decision_months, dmn.decision_days) == (0, 60)
    assert tlc.clock_policy == policy("TLC") and dmn.clock_policy == policy("DMN")
    assert describe(tlc.clock_policy) == describe("TLC")


def test_r_clk_2_a_version_with_a_shorter_tlc_period(api, applicant, instructor, catalogue):
    """CSP R. 1470-4: « L'arrêté approuvant un référentiel peut, au regard de la teneur du
    référentiel et de la technicité de la procédure de certification, fixer un délai
    inférieur. » A version whose arrêté sets four months: its dossiers are due four months after
    the complete dossier; the shipped version keeps six."""
    shipped = small_shipped("TLC")
    shorter = small_version(
        "TLC", process={**shipped.process_settings.as_data(), "decision_months": 4}
    )
    application = ApplicationFactory(
        referential=shorter, state="complete", applicant=applicant, instructor=instructor
    )
    api.force_authenticate(applicant)
    body = api.get(f"/api/v1/applications/{application.pk}/clock").json()
    assert body["deadline"] == (today() + relativedelta(months=4)).isoformat()
    assert "4 mois à compter du dossier complet" in describe(shorter.process_settings.clock_policy)
    six = ApplicationFactory(
        referential=shipped, state="complete", applicant=applicant, instructor=instructor
    )
    body = api.get(f"/api/v1/applications/{six.pk}/clock").json()
    assert body["deadline"] == (today() + relativedelta(months=6)).isoformat()


def test_r_clk_2_missing_items_restart_the_shorter_period(api, applicant, instructor, catalogue):
    """TLC guide §5.2: « Ce délai est à compter de la réception d'un dossier complet »: missing
    items stop it and, received, it starts again — for the version's period, in its words."""
    shipped = small_shipped("TLC")
    shorter = small_version(
        "TLC",
        process={**shipped.process_settings.as_data(), "decision_months": 2, "decision_days": 10},
    )
    application = ApplicationFactory(
        referential=shorter, state="complete", applicant=applicant, instructor=instructor
    )
    from tests.instruction.clock_steps import assign

    assign(application, instructor)
    request_missing_items(application, instructor, due=None)
    api.force_authenticate(applicant)
    body = api.get(f"/api/v1/applications/{application.pk}/clock").json()
    assert body["running"] is False
    assert "Le délai de 2 mois et 10 jours repart à leur réception." in body["paused_reason"]


def test_r_clk_2_the_engine_reads_the_period_it_is_given():
    """The pure engine: the same events, the version's period."""
    complete = [Event("complete", dt.date(2026, 8, 31))]
    day = dt.date(2026, 9, 1)
    assert evaluate("TLC", complete, day).deadline == dt.date(2027, 2, 28)
    assert evaluate(policy("TLC", months=3), complete, day).deadline == dt.date(2026, 11, 30)
    assert evaluate(policy("DMN", days=30), complete, day).deadline == dt.date(2026, 9, 30)
    assert evaluate(policy("DMN"), complete, day).deadline == dt.date(2026, 10, 30)
    with pytest.raises(ValueError):
        policy("XYZ", months=1)


def test_r_clk_2_check_process_refuses_a_longer_or_empty_period():
    """R. 1470-4 allows « un délai inférieur », never a longer one."""
    assert check_process({"deadline_policy": "TLC", "decision_months": 4}) == []
    assert check_process({"deadline_policy": "TLC", "decision_months": 6, "decision_days": 0}) == []
    assert check_process({"deadline_policy": "TLC", "decision_months": 6, "decision_days": 1}) == [
        "Le délai de décision ne dépasse pas celui de la loi (6 mois) : un arrêté peut seulement "
        "le raccourcir."
    ]
    assert check_process({"deadline_policy": "DMN", "decision_days": 61}) == [
        "Le délai de décision ne dépasse pas celui de la loi (60 jours calendaires) : un arrêté "
        "peut seulement le raccourcir."
    ]
    assert check_process({"deadline_policy": "TLC", "decision_months": 0, "decision_days": 0}) == [
        "Le délai de décision (« decision_months », « decision_days ») compte au moins un jour."
    ]
    for bad in (-1, "4", True, 1.5):
        assert check_process({"deadline_policy": "TLC", "decision_months": bad}) == [
            "« decision_months » et « decision_days » sont des nombres entiers positifs ou nuls."
        ]
    assert ProcessSettings.from_data({}).clock_policy == policy("DMN")
