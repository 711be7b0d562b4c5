"""Public verification (R-CRT-9): anyone, without an account, verifies a certificate from its
number — the page `/certificats/<number>/` and `GET /api/v1/certificates/<number>` tell its
state with its date and reason, what it states, its whole revision history and the SHA-256 of
each revision's PDF; `GET /api/v1/certificates/<number>.pdf` streams the sealed PDF; a copy is
checked by its SHA-256. An unknown number answers 404 (problem+json in the API, a French page
with a search box otherwise); lookups are rate-limited per IP (429); the page and the API read
a constant number of queries whatever the number of revisions; no private data is shown."""

import datetime as dt
import hashlib
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.certificates.models import Certificate
from guichet.certificates.workflow import transition
from guichet.committee import services as committee
from tests.certificates.issue_world import on_appeal
from tests.certificates.world import certified, on, small_dmn, small_tlc
from tests.committee.committee_world import decide, finished, session_on

pytestmark = pytest.mark.django_db

NUMBER = "CC-TLC-2027-0001"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.GUICHET_BASE_URL = "http://testserver"


@pytest.fixture
def reserved(catalogue, people):
    """A TLC certificate granted with a reservation on 18 March 2027."""
    return certified(
        small_tlc(),
        day=dt.date(2027, 3, 18),
        outcome="granted_with_reservations",
        reservations=["Publier la politique de sauvegarde."],
        **people,
    )


def text(response) -> str:
    """What a reader sees of a page: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_r_crt_9_anyone_verifies_a_certificate_on_its_page_and_in_the_api(
    client, reserved, applicant
):
    certificate = reserved
    certificate.refresh_from_db()
    url = reverse("certificates:verify", args=[NUMBER])
    assert url == f"/certificats/{NUMBER}/"
    page = client.get(url)
    assert page.status_code == 200
    shown = text(page)
    organisation = applicant.organisation
    for expected in (
        f"Certificat de conformité {NUMBER}",
        "Certificat valide",
        f"Valable jusqu'au {certificate.valid_until.day} mars 2032, sous réserves",
        f"Produit {certificate.product_name}",
        "Version 1.0",
        "Modules Web 1.0",
        f"(TLC) — version {certificate.referential_version.number}",
        "Profils Général",
        f"Démarche {certificate.pathway}",
        f"Titulaire {organisation.name} — {organisation.siren}",
        "Délivré le 18 mars 2027",
        "Publier la politique de sauvegarde.",
        f"Empreinte SHA-256 de ce PDF : {certificate.pdf_sha256}",
        f"1 Délivrance 18 mars 2027 — Valide {certificate.pdf_sha256}",
        "Vérifier une copie",
        "Tous les certificats : registre public",
    ):
        assert expected in shown, expected
    assert f'href="/api/v1/certificates/{NUMBER}.pdf"' in page.content.decode()
    assert 'href="/registre/"' in page.content.decode()
    # Without its trailing slash, and typed in lower case: the same page.
    assert client.get(f"/certificats/{NUMBER}").url == url
    assert client.get(f"/certificats/{NUMBER.lower()}/").url == url

    body = client.get(f"/api/v1/certificates/{NUMBER}").json()
    revision = certificate.revisions.get()
    assert body == {
        "number": NUMBER,
        "kind": "standard",
        "kind_label": "Certificat de conformité",
        "status": "valid",
        "status_label": "Valide",
        "status_since": "2027-03-18",
        "status_reason": "",
        "status_summary": f"Valide jusqu'au {certificate.valid_until.day} mars 2032.",
        "state": "valid",
        "state_label": "Valide",
        "withdrawal_ground": "",
        "withdrawal_ground_label": "",
        "withdrawal_notified_on": None,
        "withdrawal_effective_on": None,
        "product": certificate.product_name,
        "product_version": "1.0",
        "modules": [{"name": "Web", "version": "1.0"}],
        "referential": "TLC",
        "referential_name": certificate.referential_version.referential.name,
        "referential_version": certificate.referential_version.number,
        "profiles": [{"code": "general", "label": "Général"}],
        "pathway": certificate.pathway,
        "company": organisation.name,
        "company_id": organisation.siren,
        "issued_on": "2027-03-18",
        "term_start": certificate.term_start.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "next_check": None,
        "reservations": ["Publier la politique de sauvegarde."],
        "reservation_details": [
            {
                "text": "Publier la politique de sauvegarde.",
                "deadline": "2027-09-18",
                "status": "pending",
                "status_label": "À lever",
                "lifted_on": None,
                "failed_on": None,
            }
        ],
        "revision": 1,
        "pdf_ready": True,
        "pdf_sha256": revision.pdf_sha256,
        "pdf_url": f"http://testserver/api/v1/certificates/{NUMBER}.pdf",
        "verification_url": f"http://testserver/certificats/{NUMBER}/",
        "register_url": "http://testserver/registre/",
        "revisions": [
            {
                "number": 1,
                "kind": "issued",
                "kind_label": "Délivrance",
                "date": "2027-03-18",
                "reason": "",
                "status": "valid",
                "status_label": "Valide",
                "pdf_sha256": revision.pdf_sha256,
            }
        ],
    }
    # The sealed PDF, streamed: its bytes have the SHA-256 that the verification publishes.
    served = client.get(f"/api/v1/certificates/{NUMBER}.pdf")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"] == f'attachment; filename="{NUMBER}.pdf"'
    content = b"".join(served.streaming_content)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == body["pdf_sha256"] == served["X-Content-SHA256"]


def test_r_crt_9_the_verification_shows_no_private_data_of_the_holder(
    client, reserved, applicant, member
):
    certificate = reserved
    form = certificate.application.form
    private = {
        form["contact_email"],
        form["contact_phone"],
        applicant.email,
        member.email,
        certificate.application.reference,
    }
    assert certificate.operator_contact  # on the PDF, as the décret asks, not on the page
    page = html.unescape(client.get(f"/certificats/{NUMBER}/").content.decode())
    api = client.get(f"/api/v1/certificates/{NUMBER}").content.decode()
    for value in private:
        assert value not in page and value not in api, value


def test_r_crt_9_an_unknown_number_answers_404_in_french(client, catalogue):
    page = client.get("/certificats/CC-DMN-2099-0042/")
    assert page.status_code == 404
    shown = text(page)
    assert "Certificat introuvable" in shown
    assert "Aucun certificat de conformité ne porte le numéro « CC-DMN-2099-0042 »" in shown
    assert 'name="numero"' in page.content.decode()  # try another number
    assert 'href="/registre/"' in page.content.decode()
    for path in ("CC-DMN-2099-0042", "CC-DMN-2099-0042.pdf", "x" * 300, "a b"):
        answer = client.get(f"/api/v1/certificates/{path}")
        assert answer.status_code == 404, path
        assert answer["Content-Type"] == "application/problem+json", path
        assert "Aucun certificat de conformité ne porte le numéro" in answer.json()["detail"]
    # No text holds a NUL character, an address neither (issue 20 §1).
    nul = client.get("/api/v1/certificates/%00")
    assert nul.status_code == 400 and "Le caractère NUL" in nul.json()["detail"]
    assert client.get("/certificats/%00/").status_code == 400


def test_r_crt_9_a_pdf_in_preparation_is_announced_not_served(
    client, catalogue, applicant, instructor, committee_member, django_capture_on_commit_callbacks
):
    with on(dt.date(2027, 3, 1)):
        session = session_on(
            dt.date(2027, 3, 4),
            by=committee_member,
            members=[{"user": committee_member.pk}, {"name": "Mme Martin", "body": "cnam"}],
        )
        application = finished(small_dmn(), applicant=applicant, instructor=instructor)
    with on(dt.date(2027, 3, 4)):
        decision = decide(session, application, by=committee_member, sign_off=False)
        with django_capture_on_commit_callbacks(execute=False) as waiting:
            committee.sign_off(decision, by=committee_member)
    number = "CC-DMN-2027-0001"
    page = text(client.get(f"/certificats/{number}/"))
    assert "Le PDF de la révision 1 est en préparation" in page
    body = client.get(f"/api/v1/certificates/{number}").json()
    assert (body["pdf_ready"], body["pdf_sha256"], body["pdf_url"]) == (False, None, None)
    assert body["revisions"][0]["pdf_sha256"] is None
    pdf = client.get(f"/api/v1/certificates/{number}.pdf")
    assert pdf.status_code == 404 and pdf["Content-Type"] == "application/problem+json"
    assert pdf.json()["detail"] == (
        f"Le PDF du certificat {number} (révision 1) est en préparation : réessayez dans "
        "quelques instants."
    )
    for callback in waiting:
        callback()
    served = client.get(f"/api/v1/certificates/{number}.pdf")
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"%PDF")


def test_r_crt_9_the_verify_form_leads_to_the_certificate_or_says_it_is_unknown(client, reserved):
    home = client.get("/certificats/")
    assert home.status_code == 200 and "Vérifier un certificat" in text(home)
    assert reverse("certificates:verify-home") == "/certificats/"
    found = client.get("/certificats/", {"numero": f"  {NUMBER.lower()} "})
    assert found.status_code == 302 and found.url == f"/certificats/{NUMBER}/"
    unknown = client.get("/certificats/", {"numero": "CC-TLC-2027-0002"})
    assert unknown.status_code == 404
    assert "Aucun certificat de conformité ne porte le numéro « CC-TLC-2027-0002 »" in text(unknown)
    blank = client.get("/certificats/", {"numero": "  "})
    assert blank.status_code == 400
    assert "Saisissez le numéro du certificat" in text(blank)


def test_r_crt_9_a_copy_is_checked_against_every_revision_by_its_sha256(
    client, reserved, committee_member
):
    on_appeal(reserved.application, by=committee_member, day=dt.date(2027, 4, 20))
    first, second = reserved.revisions.order_by("number")
    url = f"/certificats/{NUMBER}/"
    old = text(client.get(url, {"empreinte": first.pdf_sha256}))
    assert (
        "Cette copie correspond à la révision 1 du certificat (délivrance du 18 mars 2027)" in old
    )
    assert "une révision antérieure, remplacée depuis par la révision 2" in old
    # As `sha256sum` prints it: upper or lower case, followed by the file's name.
    current = text(client.get(url, {"empreinte": f"{second.pdf_sha256.upper()}  copie.pdf"}))
    assert "Cette copie correspond à la révision 2 du certificat" in current
    assert "c'est la révision en vigueur" in current
    other = text(client.get(url, {"empreinte": "0" * 64}))
    assert "Cette empreinte ne correspond à aucune révision de ce certificat" in other
    wrong = client.get(url, {"empreinte": "abc"})
    assert wrong.status_code == 400
    assert "Une empreinte SHA-256 s'écrit avec 64 caractères hexadécimaux" in text(wrong)
    # The whole history, on the page and in the API.
    page = text(client.get(url))
    assert "2 Décision sur recours 20 avril 2027 Décision sur recours du 20 avril 2027" in page
    body = client.get(f"/api/v1/certificates/{NUMBER}").json()
    assert [(r["number"], r["kind"], r["pdf_sha256"]) for r in body["revisions"]] == [
        (1, "issued", first.pdf_sha256),
        (2, "appeal", second.pdf_sha256),
    ]
    assert body["revision"] == 2 and body["pdf_sha256"] == second.pdf_sha256
    assert body["reservations"] == []


def test_r_crt_9_a_suspended_certificate_says_so(client, reserved, agency_admin):
    with on(dt.date(2027, 6, 2)):
        transition(
            reserved,
            "suspend",
            by=agency_admin,
            reason="Non-conformité relevée lors du contrôle du 1er juin 2027.",
        )
    page = text(client.get(f"/certificats/{NUMBER}/"))
    assert "Certificat suspendu" in page
    assert "ne peut pas se prévaloir de sa certification" in page
    body = client.get(f"/api/v1/certificates/{NUMBER}").json()
    assert (body["status"], body["status_label"]) == ("suspended", "Suspendu")


def test_r_crt_9_lookups_are_rate_limited_per_ip_on_the_page_and_the_api(
    client, reserved, settings
):
    settings.CERTIFICATE_LOOKUP_RATE_LIMITS = "3/m/ip"
    # The clock stands still: every hit falls in the same minute, the wait is a full one.
    with on(dt.date(2027, 4, 1)):
        assert client.get(f"/certificats/{NUMBER}/").status_code == 200
        assert client.get(f"/api/v1/certificates/{NUMBER}").status_code == 200
        assert client.get("/certificats/", {"numero": "CC-TLC-2027-0009"}).status_code == 404
        page = client.get(f"/certificats/{NUMBER}/")
        assert page.status_code == 429 and page["Retry-After"] == "60"
        assert (
            "Trop de vérifications de certificats depuis votre connexion : réessayez dans 1 minute."
            in text(page)
        )
        api = client.get(f"/api/v1/certificates/{NUMBER}")
        assert api.status_code == 429 and api["Content-Type"] == "application/problem+json"
        assert api.json()["detail"] == "Trop de requêtes : réessayez dans 60 secondes."
        assert api["Retry-After"] == "60"
        assert client.get(f"/api/v1/certificates/{NUMBER}.pdf").status_code == 429
        assert client.get("/certificats/", {"numero": NUMBER}).status_code == 429
        # Another client is not held back.
        assert client.get(f"/certificats/{NUMBER}/", REMOTE_ADDR="10.0.0.2").status_code == 200


def _nonce(response) -> str:
    return response["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]


def test_r_crt_9_the_page_and_the_api_answer_304_until_the_certificate_changes(
    client, reserved, agency_admin
):
    """« Anyone can verify a certificate from its number » (R-CRT-9), and many do: a
    page that changes only when its certificate does is kept per revision, with an ETag; a
    copy still current is answered 304, a change (here a suspension) gives the new page."""
    url, api = f"/certificats/{NUMBER}/", f"/api/v1/certificates/{NUMBER}"
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and first["Cache-Control"] == "no-cache"
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"autre"').status_code == 200
    # The kept page, served again, carries this answer's own CSP nonce.
    with CaptureQueriesContext(connection) as captured:
        kept = client.get(url)
    assert not any("certificaterevision" in q["sql"] for q in captured.captured_queries)
    assert kept["ETag"] == etag and _nonce(kept) != _nonce(first)
    html = kept.content.decode()
    assert html.count("<script") == html.count(f'nonce="{_nonce(kept)}"') > 0
    assert html.replace(_nonce(kept), "") == first.content.decode().replace(_nonce(first), "")
    body = client.get(api)
    api_etag = body["ETag"]
    assert api_etag != etag and body.json()["status"] == "valid"
    not_modified = client.get(api, HTTP_IF_NONE_MATCH=api_etag)
    assert not_modified.status_code == 304 and not_modified.content == b""

    with on(dt.date(2027, 6, 2)):
        transition(reserved, "suspend", by=agency_admin, reason="Contrôle du 1er juin 2027.")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Certificat suspendu" in text(changed)
    body = client.get(api, HTTP_IF_NONE_MATCH=api_etag)
    assert body.status_code == 200 and body["ETag"] != api_etag
    assert body.json()["status"] == "suspended"


def test_r_crt_9_a_signed_in_visitor_gets_its_own_page_not_a_kept_one(client, reserved, applicant):
    """The kept page is an anonymous visitor's: a signed-in user's page (its header names
    them) is rendered for them, under an ETag of its own."""
    url = f"/certificats/{NUMBER}/"
    anonymous = client.get(url)
    client.force_login(applicant)
    mine = client.get(url)
    assert mine.status_code == 200 and mine["ETag"] != anonymous["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=anonymous["ETag"]).status_code == 200


def test_r_crt_9_a_client_held_back_looks_up_again_once_its_window_closes(
    client, reserved, settings
):
    """« Anyone can verify a certificate from its number » (R-CRT-9), not enumerate them: each
    limit counts one client's lookups in a window opened by its first one (issue 24 §1: one
    row per client and limit, shared by every web process), held back until it closes, then
    counted afresh; the windows long closed are removed as lookups go."""
    from guichet.certificates import ratelimits
    from guichet.certificates.models import LookupWindow

    settings.CERTIFICATE_LOOKUP_RATE_LIMITS = "2/m/ip,5/h/ip"
    url = f"/certificats/{NUMBER}/"
    with on(dt.date(2027, 4, 1)) as clock:
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
        clock.shift(dt.timedelta(seconds=30))
        held = client.get(url)
        assert held.status_code == 429 and held["Retry-After"] == "30"
        # The minute's window closed: counted afresh in it; not in the hour's, which every
        # lookup fills, held back or not (5 allowed in it).
        clock.shift(dt.timedelta(seconds=31))
        assert client.get(url).status_code == 200
        held = client.get(url)
        assert held.status_code == 429 and held["Retry-After"] == str(3600 - 61)
        assert LookupWindow.objects.count() == 2
        clock.shift(dt.timedelta(hours=2))
        settings.CERTIFICATE_LOOKUP_RATE_LIMITS = "2/m/ip"
        ratelimits.PURGE_ONE_IN, kept = 1, ratelimits.PURGE_ONE_IN
        try:
            assert client.get(url).status_code == 200
        finally:
            ratelimits.PURGE_ONE_IN = kept
        assert LookupWindow.objects.count() == 1


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_r_crt_9_the_page_and_the_api_read_a_constant_number_of_queries(
    client, reserved, committee_member
):
    urls = (f"/certificats/{NUMBER}/", f"/api/v1/certificates/{NUMBER}")
    one = [_queries(client, url) for url in urls]
    on_appeal(reserved.application, by=committee_member, day=dt.date(2027, 4, 20))
    on_appeal(
        reserved.application,
        by=committee_member,
        day=dt.date(2027, 5, 6),
        outcome="granted_with_reservations",
        reservations=["Corriger le flux DMP."],
    )
    assert Certificate.objects.get().revisions.count() == 3
    three = [_queries(client, url) for url in urls]
    assert one == three


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html"])
def test_r_crt_9_the_api_answers_json_to_a_browser_that_follows_the_page_link(
    client, reserved, accept
):
    """« Anyone can verify a certificate from its number » (R-CRT-9): the public page links to
    `/api/v1/certificates/<number>`; a browser following it reads the JSON answer, and an
    unknown number its French problem+json — never DRF's English browsable page nor raw HTML
    (issue 22 §4). The register's open data (R-PUB-1) answers JSON to a browser as well."""
    page = client.get(f"/certificats/{NUMBER}/")
    assert f'href="/api/v1/certificates/{NUMBER}"' in page.content.decode()
    known = client.get(f"/api/v1/certificates/{NUMBER}", HTTP_ACCEPT=accept)
    assert known.status_code == 200
    assert known["Content-Type"] == "application/json"
    assert known.json()["number"] == NUMBER
    unknown = client.get("/api/v1/certificates/CC-DMN-2099-0042", HTTP_ACCEPT=accept)
    assert unknown.status_code == 404
    assert unknown["Content-Type"] == "application/problem+json"
    assert unknown.json()["detail"].startswith(
        "Aucun certificat de conformité ne porte le numéro « CC-DMN-2099-0042 »"
    )
    register = client.get("/api/v1/register/", HTTP_ACCEPT=accept)
    assert register.status_code == 200 and register["Content-Type"] == "application/json"
    assert register.json()["count"] == 1
    # DRF's « ?format=api » page is gone: a French 404, in JSON.
    browsable = client.get(f"/api/v1/certificates/{NUMBER}?format=api", HTTP_ACCEPT=accept)
    assert browsable.status_code == 404
    assert browsable["Content-Type"] == "application/problem+json"
    assert "Ressource introuvable" in browsable.json()["detail"]
    # Another format asked alone is still told to ask for JSON.
    csv = client.get(f"/api/v1/certificates/{NUMBER}", HTTP_ACCEPT="text/csv")
    assert csv.status_code == 406 and "Cette adresse répond en JSON" in csv.json()["detail"]
