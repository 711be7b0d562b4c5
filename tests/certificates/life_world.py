"""A world for the certificate's life: small versions with the shipped certificate settings,
certificates issued through the collège on given days (the convention signed on its own day),
a TLC version with the sections of the exceptional certificate, and a spy on notifications."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet.applications import notifications
from guichet.referentials.selectors import get_version
from tests.certificates.world import issued  # noqa: F401 (the life tests' import)
from tests.committee.committee_world import _shipped
from tests.instruction.instruction_world import requirement_row, small_version

CERTIFICATE_KEYS = (
    "exceptional_certificate",
    "new_certificate_days",
    "new_certificate_scope",
    "periodic_check_months",
    "strike_off_request",
    "approval_steps",
    "term_reminder_days",
)


def shipped_life(code: str) -> dict:
    number = {"DMN": "1.2.2", "TLC": "1.4.2"}[code]
    process = get_version(code, number).process_settings.as_data()
    return {key: process[key] for key in CERTIFICATE_KEYS}


def life_dmn(**process):
    return small_version(
        "DMN", process={**_shipped("DMN", "1.2.2"), **shipped_life("DMN"), **process}
    )


def life_tlc(**process):
    return small_version(
        "TLC", process={**_shipped("TLC", "1.4.2"), **shipped_life("TLC"), **process}
    )


@pytest.fixture
def notices(monkeypatch):
    """What the platform tells people, as the notifier receives it; delivered as ever."""
    seen = []
    deliver = notifications._deliver

    def recorded(notice, fallback):
        seen.append(notice)
        deliver(notice, fallback)

    monkeypatch.setattr(notifications, "_deliver", recorded)
    return seen


def told(notices, certificate, subject: str):
    """The legal notices sent to the holder of `certificate` about `subject`."""
    return [
        n
        for n in notices
        if n.audience == "applicant"
        and n.kind == "certificate"
        and n.legal
        and n.application.pk == certificate.application_id
        and subject in n.subject
    ]


EXCEPTIONAL_SECTIONS = ("INS", "PSC", "ANN", "PGSSI", "ADM")


def exceptional_tlc():
    """A published TLC version whose sections are those of the exceptional certificate plus
    one more (SEC), one proof each, with the shipped exceptional period (R-CRT-4)."""
    from guichet.referentials.models import Referential
    from guichet.referentials.services import write_version
    from guichet.referentials.spreadsheet import ScenarioRow

    sections = (*EXCEPTIONAL_SECTIONS, "SEC")
    return write_version(
        referential=Referential.objects.get(code="TLC"),
        number="1.4.9",
        state="published",
        entry_into_force=None,
        source="",
        profiles=[{"code": "general", "label": "Général"}],
        sections=[{"code": code, "label": f"Section {code}"} for code in sections],
        requirements=[
            requirement_row(
                f"{code} 1",
                code,
                [ScenarioRow(code=f"{code} 1.1", text="Scénario", proofs=["Preuve"], row=0)],
            )
            for code in sections
        ],
        rules=[],
        questions=[],
        specifications=[],
        process={
            **_shipped("TLC", "1.4.2"),
            **shipped_life("TLC"),
            "deadline_policy": "TLC",
            "convention": "before_committee",
            "admissibility_form": "TLC",
            "ins_section": "",
        },
    )


def next_version(code: str, *, entry_into_force: dt.date, **process):
    """A later published version of `code`, in force on `entry_into_force` (R-CRT-3), with the
    shipped certificate settings (or `process`)."""
    from guichet.referentials.models import Referential
    from guichet.referentials.services import write_version
    from guichet.referentials.spreadsheet import ScenarioRow

    shipped = _shipped(code, {"DMN": "1.2.2", "TLC": "1.4.2"}[code])
    return write_version(
        referential=Referential.objects.get(code=code),
        number=f"8.{entry_into_force:%Y%m%d}",
        state="published",
        entry_into_force=entry_into_force,
        source="",
        profiles=[{"code": "general", "label": "Général"}],
        sections=[{"code": "S1", "label": "Première"}],
        requirements=[
            requirement_row(
                "S1 1",
                "S1",
                [ScenarioRow(code="S1 1.1", text="Scénario", proofs=["Preuve"], row=0)],
            )
        ],
        rules=[],
        questions=[],
        specifications=[],
        process={
            **shipped,
            **shipped_life(code),
            "deadline_policy": code,
            "convention": "before_committee",
            "admissibility_form": code,
            **process,
        },
    )
