# ruff: noqa: F811 (fixtures imported from the worlds)
"""The certificate's life as one story (issue 22, « Done when »; R-CRT-2, R-CRT-5, R-PUB-1):
notice → answer → lift; notice → deferred withdrawal → cancel; notice → withdrawal; control →
next check; renewal reminder → renewal; non-renewal → expiry. After each act, the holder's pages,
the agency's pages, the public page, the register, its CSV/JSON, the API and the feed say the
same thing: the one sentence `Standing.summary` decides."""

import csv
import datetime as dt
import html
import io
import json
import re

import pytest
from django.urls import reverse

from guichet.certificates import lifecycle
from guichet.certificates.models import Certificate, FormalNotice, NoticeKind, Status
from guichet.certificates.standing import Standing
from guichet.certificates.sweep import sweep
from guichet.files.uploads import upload_from_stream
from tests.certificates.life_world import life_dmn, notices, told  # noqa: F401
from tests.certificates.register_world import on, world  # noqa: F401
from tests.conftest import committed
from tests.fixtures import PDF

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def streamed(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def agree(client, world, certificate) -> Standing:
    """Every output says what the certificate's standing says, now."""
    certificate = Certificate.objects.get(pk=certificate.pk)
    standing = Standing.of(certificate)
    summary = standing.summary
    number = certificate.number
    client.force_login(world.a)
    holder = text(client.get(reverse("certificates:manage", args=[number])))
    mine = text(client.get(reverse("certificates:mine")))
    client.force_login(world.instructor)
    agency = text(client.get(reverse("certificates:agency-detail", args=[number])))
    client.logout()
    public = text(client.get(f"/certificats/{number}/"))
    register = text(client.get("/registre/"))
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(streamed(client, "/register.csv")))}
    items = {r["number"]: r for r in json.loads(streamed(client, "/register.json"))}
    api = client.get(f"/api/v1/certificates/{number}").json()
    feed = text(client.get("/registre/flux.atom"))

    for name, page in (("holder", holder), ("agency", agency), ("public", public)):
        assert summary in page, name
    assert summary in mine
    assert standing.state_label in register and standing.validity in register
    for name, row in (("csv", rows[number]), ("json", items[number]), ("api", api)):
        assert row["status"] == certificate.status, name
        assert (row["state"], row["state_label"]) == (standing.state, standing.state_label), name
        assert row["status_summary"] == summary, name
    newest = feed.split(f"— {number} —")[1]  # the newest entry about this certificate
    said = summary.rstrip(".")
    assert said[:1].lower() + said[1:] in newest[:1].lower() + newest[1:] or said in newest
    return standing


def notice(world, certificate, *, day, deadline, suspend=False):
    with on(day), committed():
        lifecycle.act(
            certificate,
            "give_formal_notice",
            by=world.instructor,
            reason="Les traces d'accès ne sont plus conservées.",
            kind=NoticeKind.NON_CONFORMITY,
            deadline=deadline,
            suspend=suspend,
        )
    return FormalNotice.objects.filter(certificate=certificate).latest("pk")


def test_r_crt_5_notice_answer_lift_and_a_control_that_fixes_the_next_check(client, world):
    certificate = world.issue()
    agree(client, world, certificate)
    found = notice(
        world, certificate, day=dt.date(2027, 6, 1), deadline=dt.date(2027, 8, 1), suspend=True
    )
    assert agree(client, world, certificate).status == Status.SUSPENDED

    # The holder answers on the platform; the agency sees the answer.
    with on(dt.date(2027, 6, 20)), committed():
        client.force_login(world.a)
        answered = client.post(
            reverse("certificates:notice-answer", args=[certificate.number, found.pk]),
            {
                "text": "Les traces sont de nouveau conservées 12 mois.",
                "files": upload("preuve.pdf"),
            },
            follow=True,
        )
    assert "Les traces sont de nouveau conservées 12 mois." in text(answered)
    client.force_login(world.instructor)
    agency = text(client.get(reverse("certificates:agency-detail", args=[certificate.number])))
    assert "Les traces sont de nouveau conservées 12 mois." in agency
    agree(client, world, certificate)

    # Lifted: the notice closed as fixed, the suspension lifted.
    with on(dt.date(2027, 6, 25)), committed():
        lifecycle.act(
            certificate,
            "close_formal_notice",
            by=world.instructor,
            reason="Traces vérifiées.",
            notice=found.pk,
            fixed=True,
        )
    assert agree(client, world, certificate).status == Status.VALID

    # A control fixes the next check; the certificate is reissued and every output follows.
    with on(dt.date(2027, 7, 1)), committed():
        lifecycle.act(
            certificate,
            "record_control",
            by=world.instructor,
            held_on=dt.date(2027, 7, 1),
            conclusion="Conforme.",
            conforme=True,
            next_check=dt.date(2028, 7, 1),
            report=upload_from_stream(io.BytesIO(PDF), "rapport.pdf"),
        )
    agree(client, world, certificate)
    api = client.get(f"/api/v1/certificates/{certificate.number}").json()
    assert api["next_check"] == "2028-07-01"


def test_r_crt_5_notice_then_a_deferred_withdrawal_cancelled_then_a_withdrawal(client, world):
    certificate = world.issue()
    found = notice(world, certificate, day=dt.date(2027, 6, 1), deadline=dt.date(2027, 7, 1))
    agree(client, world, certificate)
    with on(dt.date(2027, 7, 2)), committed():
        lifecycle.act(
            certificate,
            "withdraw",
            by=world.agency_admin,
            reason="Non-conformités non corrigées.",
            ground="non_conformity",
            effective_on=dt.date(2027, 9, 1),
        )
    assert agree(client, world, certificate).state == "withdrawal_notified"
    with on(dt.date(2027, 7, 10)), committed():
        lifecycle.act(
            certificate,
            "cancel_withdrawal",
            by=world.agency_admin,
            reason="Le titulaire a corrigé entre-temps.",
        )
    assert agree(client, world, certificate).state == Status.VALID

    # Withdrawn for good: the notice still open is closed with it.
    with on(dt.date(2027, 7, 20)), committed():
        lifecycle.act(
            certificate,
            "withdraw",
            by=world.agency_admin,
            reason="Non-conformités de nouveau constatées.",
            ground="non_conformity",
        )
    assert agree(client, world, certificate).status == Status.WITHDRAWN
    found.refresh_from_db()
    assert found.closed_on == dt.date(2027, 7, 20)


def test_r_crt_2_a_reminder_then_the_tacit_renewal_and_a_non_renewal_then_the_expiry(
    client, world, notices
):
    version = life_dmn()
    renewed = world.issue(version=version)
    stopped = world.issue(version=version)
    end = renewed.valid_until
    with on(end - dt.timedelta(days=200)), committed():
        client.force_login(world.a)
        answer = client.post(
            reverse("certificates:holder-act", args=[stopped.number, "stop_renewal"]),
            {"reason": "Fin de commercialisation.", "confirm": "on"},
            follow=True,
        )
        assert answer.status_code == 200
    stopped.refresh_from_db()
    assert stopped.renewal_stopped_on is not None
    agree(client, world, stopped)

    days = version.process_settings.term_reminder_days
    with committed():
        sweep(today=end - dt.timedelta(days=days))
    assert told(notices, renewed, "fin de la période de validité")
    agree(client, world, renewed)
    with committed():
        sweep(today=stopped.valid_until + dt.timedelta(days=1))
    assert agree(client, world, renewed).status == Status.VALID
    renewed.refresh_from_db()
    assert renewed.renewals == 1
    assert agree(client, world, stopped).status == Status.EXPIRED


def upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")
