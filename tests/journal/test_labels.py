"""The journal's readers see French labels, not action codes (issue 14 §2): every action the
code records has one."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from guichet.journal.labels import ACTIONS

SOURCE = Path(__file__).resolve().parents[2] / "guichet"
RECORDED = re.compile(r"""(?:action|journal)=["']([a-z_]+\.[a-z_]+)["']""")


def recorded_actions() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    from guichet.applications.workflow import WORKFLOW as applications
    from guichet.certificates.workflow import WORKFLOW as certificates

    for workflow, prefix in ((applications, "application"), (certificates, "certificate")):
        for transition in workflow.all():
            if isinstance(transition.journal, str):
                found.add(transition.journal)
            elif transition.journal is None:
                found.add(f"{prefix}.{transition.name}")
    # Recorded under a name built at run time.
    return found | {
        "application.submit",
        "application.resubmit",
        "registration.approve",
        "registration.reject",
    }


def test_every_recorded_action_has_a_french_label():
    missing = sorted(recorded_actions() - set(ACTIONS))
    assert missing == []


@pytest.mark.django_db
def test_the_journal_page_shows_the_label_beside_the_code(client, agency_admin, applicant):
    from guichet.journal.services import record

    record(action="terms.accept", obj=applicant, by=applicant)
    client.force_login(agency_admin)
    page = client.get(reverse("journal:index")).content.decode()
    assert "CGU acceptées" in page and "<code>terms.accept</code>" in page
