"""Certificates for the register's tests: issued through the collège (tests.certificates.world),
for two companies, and moved through the certificate's workflow the way the agency does."""

from __future__ import annotations

import datetime as dt

import pytest

from guichet.certificates import api_register, lifecycle
from guichet.certificates.workflow import transition
from tests.certificates.world import certified, on, small_dmn, small_tlc

__all__ = ["Register", "certified", "on", "small_dmn", "small_tlc"]


class Register:
    """The cast of the register's tests: the holder A (Télésanté, the `applicant` fixture),
    the holder B (Autre, the `stranger` fixture), the agency; small DMN and TLC versions."""

    def __init__(self, *, applicant, stranger, instructor, committee_member, agency_admin):
        self.a, self.b = applicant, stranger
        self.instructor, self.committee_member = instructor, committee_member
        self.agency_admin = agency_admin
        self.dmn, self.tlc = small_dmn(), small_tlc()
        self._day = dt.date(2027, 3, 4)

    def issue(self, *, holder=None, version=None, day: dt.date | None = None, **values):
        """A certificate issued on `day` (by default the next Thursday not used yet)."""
        if day is None:
            day, self._day = self._day, self._day + dt.timedelta(days=7)
        return certified(
            version or self.dmn,
            applicant=holder or self.a,
            instructor=self.instructor,
            committee_member=self.committee_member,
            day=day,
            **values,
        )

    def suspend(self, certificate, *, day=dt.date(2027, 6, 1), reason="Faille de sécurité"):
        with on(day):
            return transition(certificate, "suspend", by=self.agency_admin, reason=reason)

    def withdraw(
        self, certificate, *, day=dt.date(2027, 7, 1), reason="Informations du dossier inexactes"
    ):
        """Withdrawn for fault (art. 16), through the certificate's life as the agency does."""
        with on(day):
            return lifecycle.act(
                certificate,
                "withdraw",
                by=self.agency_admin,
                reason=reason,
                ground="fault_inaccurate",
            )

    def expire(self, certificate, *, day=dt.date(2032, 3, 4)):
        with on(day):
            return transition(certificate, "expire", by=None)


@pytest.fixture
def world(catalogue, applicant, stranger, instructor, committee_member, agency_admin):
    # The register API keeps its pages by the register's state (how many certificates, the
    # latest change): the clock standing still, two tests' registers may have the same state.
    api_register._PAGES.pages.clear()
    return Register(
        applicant=applicant,
        stranger=stranger,
        instructor=instructor,
        committee_member=committee_member,
        agency_admin=agency_admin,
    )
