"""Main application pages run a constant number of SQL queries whatever the data size, and the
review queue is ordered by the date the dossier became complete (R-CLK-1)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.applications.models import Application
from guichet.applications.services import create_application, save_product

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(applicant, dmn, n, start):
    for i in range(n):
        product = save_product(
            by=applicant, name=f"Produit {start + i}", modules=[{"name": "Web", "version": "1"}]
        )
        create_application(
            by=applicant,
            product=product,
            product_version="1",
            referential_version=dmn,
            pathway_code="nom_de_marque",
        )


def test_application_list_queries_do_not_grow(client, applicant, instructor, dmn):
    client.force_login(applicant)
    counts = []
    for n, start in ((2, 0), (25, 100)):
        grow(applicant, dmn, n, start)
        counts.append(queries(client, reverse("applications:list")))
    assert counts[0] == counts[1]
    client.force_login(instructor)
    assert queries(client, reverse("applications:list")) == queries(
        client, reverse("applications:list")
    )


@pytest.mark.parametrize("page", ["applications:detail", "applications:form", "evidence:page"])
def test_application_pages_queries_do_not_grow_with_other_applications(
    client, applicant, dmn, dmn_application, page
):
    client.force_login(applicant)
    url = reverse(page, args=[dmn_application.pk])
    before = queries(client, url)
    grow(applicant, dmn, 20, 200)
    assert queries(client, url) == before


def test_r_clk_1_queue_is_ordered_by_complete_date(client, applicant, instructor, dmn):
    from tests.workflow import ApplicationFactory

    made = [
        ApplicationFactory(
            applicant=applicant, instructor=instructor, referential=dmn, state="complete"
        )
        for _ in range(3)
    ]
    now = timezone.now()
    for offset, application in zip([2, 0, 1], made, strict=True):  # completed in another order
        Application.objects.filter(pk=application.pk).update(
            evidence_complete_at=now - dt.timedelta(days=10 - offset)
        )
    from guichet.instruction.queue import instruction_queue

    queue = list(instruction_queue(instructor))
    assert [a.evidence_complete_at for a in queue] == sorted(a.evidence_complete_at for a in queue)
    client.force_login(instructor)
    assert "File d'instruction" in client.get(reverse("applications:list")).content.decode()
    page = client.get(reverse("instruction:queue")).content.decode()
    assert [page.index(a.reference) for a in queue] == sorted(
        page.index(a.reference) for a in queue
    )


def test_review_and_evidence_pages_queries_do_not_grow_with_their_content(
    client, applicant, instructor, dmn_application
):
    import io

    from guichet.applications import review
    from guichet.applications.services import save_draft, submit
    from guichet.evidence import services as evidence
    from guichet.evidence.selectors import tree as evidence_tree
    from guichet.files.uploads import upload_from_stream
    from tests.fixtures import (
        DMN_ANSWERS,
        DMN_PROFILES,
        PDF,
        complete_dmn_form,
        deposit_required_documents,
    )
    from tests.workflow import walk

    save_draft(
        by=applicant,
        application=dmn_application,
        data={"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
    )
    deposit_required_documents(dmn_application, applicant)
    submit(by=applicant, application=dmn_application)
    client.force_login(instructor)
    url = reverse("applications:review", args=[dmn_application.pk])
    before = queries(client, url)
    for entry in review.reviewable_items(dmn_application):
        review.set_verdict(
            by=instructor, application=dmn_application, item=entry["item"], verdict="conforme"
        )
    assert queries(client, url) == before

    walk(dmn_application, "evidence", applicant=applicant, instructor=instructor)
    client.force_login(applicant)
    url = reverse("evidence:page", args=[dmn_application.pk])
    before = queries(client, url)
    # Ten more proofs deposited: the page still runs the same queries.
    proofs = [
        p["proof"]
        for node in evidence_tree(dmn_application)
        for r in node.requirements
        for sc in r["scenarios"]
        for p in sc["proofs"]
    ]
    for proof in proofs[:10]:
        evidence.add_evidence(
            by=applicant,
            application=dmn_application,
            proof_id=proof.pk,
            upload=upload_from_stream(io.BytesIO(PDF), "p.pdf"),
        )
    assert queries(client, url) == before


def test_the_api_list_queries_do_not_grow_with_claimed_pathologies_or_corrections(
    api, applicant, instructor, dmn
):
    """The list's applications in « éléments à corriger » (whether their profiles are reopened,
    R-REF-8) and on several generic lines (R-REF-7) are read in a constant number of queries."""
    from guichet.applications.pathologies import claim_pathologies
    from tests.workflow import ApplicationFactory

    api.force_authenticate(applicant)

    def more(start):
        for i in range(2):
            product = save_product(
                by=applicant, name=f"Glyco {start + i}", modules=[{"name": "Web", "version": "1"}]
            )
            application = create_application(
                by=applicant,
                product=product,
                product_version="1",
                referential_version=dmn,
                pathway_code="ligne_generique",
                pathology_code="diabete",
            )
            claim_pathologies(by=applicant, application=application, codes=["diabete", "HAS2"])
        ApplicationFactory(
            referential=dmn, state="to_fix", applicant=applicant, instructor=instructor
        )

    counts = []
    for start in (0, 100):
        more(start)
        api.get("/api/v1/applications/")
        with CaptureQueriesContext(connection) as captured:
            answer = api.get("/api/v1/applications/")
        assert answer.status_code == 200
        counts.append(len(captured))
    assert answer.json()["count"] == 6, [
        (a["reference"], a["status"]) for a in answer.json()["results"]
    ]
    assert counts[0] == counts[1]
