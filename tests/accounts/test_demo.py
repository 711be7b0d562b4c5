from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from guichet.accounts.models import Organisation, Role, User
from guichet.referentials.models import ReferentialVersion

pytestmark = pytest.mark.django_db


def test_demo_data_loads_twice_without_duplicates_and_prints_every_role(
    django_capture_on_commit_callbacks,
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the task worker's part
        call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=StringIO())
    # The two shipped versions, and the demo's copy of TLC 1.4.2 whose exceptional window is
    # open today (R-CRT-4).
    assert ReferentialVersion.objects.count() == 3
    assert Organisation.objects.count() == 2
    assert set(User.objects.values_list("role", flat=True)) == {r.value for r in Role}
    for user in User.objects.all():
        assert user.email in out.getvalue()
    # Agency accounts can sign in (they have their second factor), and everyone meets the CGU.
    from allauth.mfa.models import Authenticator

    from guichet.accounts.models import AGENCY_ROLES, TermsOfUse

    staff = User.objects.filter(role__in=AGENCY_ROLES)
    assert Authenticator.objects.filter(user__in=staff).count() == staff.count()
    assert TermsOfUse.objects.count() == 1
    assert "double authentification" in out.getvalue()
    # Applications of both referentials at each stage.
    from guichet.applications.models import Application
    from guichet.conventions.models import Convention

    statuses = set(Application.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "to_fix", "admissible", "complete"} <= statuses
    assert set(
        Application.objects.values_list("referential_version__referential__code", flat=True)
    ) == {"DMN", "TLC"}
    assert Convention.objects.filter(signed__isnull=True).exists()
    assert Convention.objects.filter(signed__isnull=False).exists()
    assert Application.objects.filter(status="admissible", evidence_files__isnull=False).exists()
    # Dossiers under instruction, their clocks running, stopped, flagged and overdue (issue 11).
    from guichet.applications.clock import clocks_for

    assert {"in_instruction", "information_requested", "missing_items"} <= statuses
    # R-REF-7: a draft on the generic line claims two pathologies.
    generic = Application.objects.get(product__name="TéléSuivi Diabète")
    assert [p.code for p in generic.claimed_pathologies] == ["diabete", "insuffisance_cardiaque"]
    clocks = clocks_for(Application.objects.filter(evidence_complete_at__isnull=False))
    assert any(c.running and not c.flags for c in clocks.values())
    assert any(not c.running and "no_answer_10" in c.flags for c in clocks.values())
    assert any("overdue" in c.flags for c in clocks.values())
    assert any(c.deadline is None and c.paused_reason for c in clocks.values())  # TLC
    # The collège (issue 12): a held session's three decisions, signed off, each with its
    # sealed letter; the next session's agenda with a dossier accepted by silence (R-CLK-7).
    from guichet.committee.models import CommitteeSession, Decision

    *_, upcoming = CommitteeSession.objects.order_by("date")
    assert upcoming.status == "planned"
    held = [
        sorted(session.decisions.values_list("outcome", flat=True))
        for session in CommitteeSession.objects.filter(status="held")
    ]
    assert ["granted", "granted_with_reservations", "refused"] in held
    # R-CRT-4: the exceptional certificates, granted by the collège on the listed sections.
    assert held.count(["exceptional"]) == 2
    assert not Decision.objects.filter(signed_off_at__isnull=True).exists()
    assert not Decision.objects.filter(letter__isnull=True).exists()  # the worker ran
    assert {"granted", "granted_with_reservations", "refused", "silently_accepted"} <= set(
        Application.objects.values_list("status", flat=True)
    )
    assert sorted(upcoming.agenda.values_list("application__status", flat=True)) == [
        "instruction_finished",
        "silently_accepted",
    ]
    # Messages (R-MSG-1): a thread with an unread message for its Responsable habilité and an
    # agency note the applicant never sees.
    from guichet.demo.messaging import ensure_demo_messages
    from guichet.messaging import selectors as messaging
    from guichet.messaging.models import Message

    assert ensure_demo_messages() == []  # idempotent
    responsible = User.objects.get(email="responsable@telesante-demo.fr")
    assert messaging.unread_counts(responsible)["messages"] == 1
    assert Message.objects.filter(internal=True).count() == 1
    assert messaging.threads(responsible).get().unread == 1
    # Certificates (issue 13): valid, reserved (TLC), suspended, withdrawn, expired, and an
    # exceptional TLC certificate of 2024; each with its sealed PDF (the worker ran).
    from guichet.certificates.models import Certificate

    states = set(Certificate.objects.values_list("status", flat=True))
    assert {"valid", "suspended", "withdrawn", "expired"} <= states
    assert Certificate.objects.filter(kind="exceptional", valid_until="2024-12-31").exists()
    # R-CRT-4: an exceptional certificate on partial evidence in a version whose window is
    # open, the other sections still to deposit.
    from guichet.evidence.selectors import reopened_proofs

    partial = Certificate.objects.get(kind="exceptional", referential_version__number="1.4.2-demo")
    assert partial.status == "valid" and partial.valid_until > timezone.localdate()
    assert reopened_proofs(partial.application)
    assert Certificate.objects.exclude(reservations=[]).filter(referential_code="TLC").exists()
    assert not Certificate.objects.filter(pdf__isnull=True).exists()
