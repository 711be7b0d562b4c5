"""Certificate numbers (R-CRT-1): one sequence per referential and year, allocated in the
issuing transaction."""

import datetime as dt

import pytest

from guichet.certificates.models import RevisionKind
from tests.certificates.world import certified, small_dmn, small_tlc

pytestmark = pytest.mark.django_db


def test_r_crt_1_a_granted_decision_issues_a_numbered_certificate_per_referential_and_year(
    catalogue, applicant, instructor, committee_member
):
    people = {
        "applicant": applicant,
        "instructor": instructor,
        "committee_member": committee_member,
    }
    dmn, tlc = small_dmn(), small_tlc()
    first = certified(dmn, day=dt.date(2027, 3, 4), **people)
    second = certified(dmn, day=dt.date(2027, 3, 11), **people)
    reserved = certified(
        tlc, day=dt.date(2027, 3, 18), outcome="granted_with_reservations", **people
    )
    next_year = certified(dmn, day=dt.date(2028, 1, 6), **people)
    assert [c.number for c in (first, second, reserved, next_year)] == [
        "CC-DMN-2027-0001",
        "CC-DMN-2027-0002",
        "CC-TLC-2027-0001",
        "CC-DMN-2028-0001",
    ]
    assert (first.product_name, first.product_version) == (
        first.application.product.name,
        first.application.product_version,
    )
    assert first.referential_version == dmn and first.company_name == applicant.organisation.name
    assert first.profiles == [{"code": "general", "label": "Général"}]
    assert reserved.reservations == ["Corriger l'affichage des mentions d'information."]
    assert first.revisions.get().kind == RevisionKind.ISSUED
