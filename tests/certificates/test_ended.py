# ruff: noqa: F811 (the world fixture imported from register_world)
"""A certificate withdrawn, expired or suspended says so on every public output (R-CRT-5,
R-CRT-6, R-CRT-9, R-PUB-1): its sealed PDF (the revision the lifecycle act wrote no longer
certifies conformity), the register's page, CSV, JSON and feed, the verification page and API.
None of them shows a withdrawn or expired certificate a validity date still to come; a
withdrawal notified for a later day leaves it valid until the day before, and says on which day
it takes effect."""

import csv
import datetime as dt
import html
import io
import json
import re

import pytest

from guichet.certificates import lifecycle
from guichet.certificates.sweep import sweep
from guichet.deadlines import french_date
from guichet.files.services import verified_chunks
from tests.certificates.issue_world import pdf_text, pdfsig
from tests.certificates.register_world import on, world  # noqa: F401
from tests.conftest import committed

pytestmark = pytest.mark.django_db

FAULT = "Faute (article 16) : informations du dossier inexactes"
DMN = "référentiel d'interopérabilité et de sécurité des dispositifs médicaux numériques (DMN)"


def text(response) -> str:
    """What a reader sees of a page: no tags, single spaces."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body.decode())).split())


def pdf_of(certificate, tmp_path) -> str:
    """The text of the certificate's current sealed PDF, its seal checked."""
    certificate.refresh_from_db()
    assert certificate.pdf is not None, "the PDF of the current revision is produced"
    path = tmp_path / f"{certificate.number}-{certificate.revision}.pdf"
    path.write_bytes(b"".join(verified_chunks(certificate.pdf)))
    assert "Signature is Valid." in pdfsig(path)
    return pdf_text(path)


def outputs(client, certificate) -> dict:
    """Every public output that speaks of `certificate`."""
    number = certificate.number
    register = text(client.get("/registre/"))
    (row,) = [r for r in csv.DictReader(io.StringIO(text_of(client, "/register.csv")))]
    (item,) = json.loads(text_of(client, "/register.json"))
    return {
        "register": register,
        "csv": row,
        "json": item,
        "page": text(client.get(f"/certificats/{number}/")),
        "api": client.get(f"/api/v1/certificates/{number}").json(),
        "feed": text(client.get("/registre/flux.atom")),
    }


def text_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def no_term_end(found: dict, certificate) -> None:
    """The certificate's term end (2032) is shown nowhere: it will never be reached."""
    end = certificate.valid_until
    for name, value in found.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        assert french_date(end) not in shown and end.isoformat() not in shown, name


def test_r_crt_6_a_withdrawn_certificate_says_so_in_its_pdf_the_register_and_its_verification(
    client, world, tmp_path
):
    with committed():
        certificate = world.issue()
    with committed():
        world.withdraw(certificate, day=dt.date(2027, 7, 1))

    # The withdrawal's revision: sealed, it no longer certifies conformity.
    pdf = pdf_of(certificate, tmp_path)
    assert certificate.revision == 2
    assert "CERTIFICAT RETIRÉ" in pdf
    assert (
        "Ce certificat a été retiré par l'Agence du numérique en santé le 1er juillet 2027, avec "
        f"effet immédiat (fondement : {FAULT} ; motif : Informations du dossier inexactes) ; il "
        f"n'atteste plus la conformité du produit désigné ci-dessous au {DMN}" in pdf
    )
    assert f"Retiré le 1er juillet 2027, avec effet immédiat Fondement du retrait {FAULT}" in pdf
    for absent in ("certifie que", "est conforme", "Valable jusqu'au", "2032"):
        assert absent not in pdf, absent

    found = outputs(client, certificate)
    no_term_end(found, certificate)
    summary = f"Retiré le 1er juillet 2027, avec effet immédiat — {FAULT}."
    assert (
        f"Retiré Le 1er juillet 2027, avec effet immédiat {FAULT} Motif : Informations du "
        "dossier inexactes 4 mars 2027 Plus valable depuis le 1er juillet 2027" in found["register"]
    )
    for row in (found["csv"], found["json"]):
        assert (row["status"], row["status_label"]) == ("withdrawn", "Retiré")
        assert row["valid_until"] == "2027-06-30"  # the last day it was valid
        assert row["withdrawal_notified_on"] == row["withdrawal_effective_on"] == "2027-07-01"
        assert row["withdrawal_ground_label"] == FAULT
        assert row["status_summary"] == summary
    page = found["page"]
    assert f"Certificat retiré {summary}" in page
    assert "Le certificat n'atteste plus la conformité du produit" in page
    assert "Ce que le certificat attestait" in page
    assert f"Retiré le 1er juillet 2027, avec effet immédiat Fondement du retrait {FAULT}" in page
    assert "Valable jusqu'au" not in page and "Période de validité" not in page
    api = found["api"]
    assert (api["status"], api["status_summary"], api["valid_until"]) == (
        "withdrawn",
        summary,
        "2027-06-30",
    )
    assert api["withdrawal_notified_on"] == api["withdrawal_effective_on"] == "2027-07-01"
    assert api["next_check"] is None
    assert (
        "Depuis : retiré le 1er juillet 2027, avec effet immédiat — Faute (article 16)"
        in found["feed"]
    )


def test_r_crt_5_a_deferred_withdrawal_says_when_it_takes_effect_then_that_it_took_effect(
    client, world, tmp_path
):
    with committed():
        certificate = world.issue()
    with on(dt.date(2027, 6, 1)), committed():
        lifecycle.act(
            certificate,
            "withdraw",
            by=world.agency_admin,
            reason="Le produit n'est plus conforme.",
            ground="fault_not_conforme",
            effective_on=dt.date(2027, 9, 1),
        )
    ground = "Faute (article 16) : le produit n'est pas ou plus conforme aux exigences"

    # Notified, not yet in effect: valid until the day before, and it says when it ends.
    pdf = pdf_of(certificate, tmp_path)
    assert "CERTIFICAT RETIRÉ" not in pdf
    assert "certifie que le produit désigné ci-dessous est conforme" in pdf
    assert (
        "Son retrait, notifié le 1er juin 2027, prend effet le 1er septembre 2027 : le certificat "
        "est valable jusqu'au 31 août 2027." in pdf
    )
    assert "Valable jusqu'au 31 août 2027" in pdf
    assert "Retrait notifié, effectif le 1er septembre 2027 (notifié le 1er juin 2027)" in pdf
    found = outputs(client, certificate)
    no_term_end(found, certificate)
    # One state, « retrait notifié, effectif le … », in every output (issue 22 §1).
    summary = (
        "Retrait notifié, effectif le 1er septembre 2027 (notifié le 1er juin 2027) : valide "
        f"jusqu'au 31 août 2027 — {ground}."
    )
    assert (
        "Retrait notifié Effectif le 1er septembre 2027 (notifié le 1er juin 2027) "
        f"{ground}" in found["register"]
    )
    assert "Jusqu'au 31 août 2027, retrait effectif le 1er septembre 2027" in found["register"]
    for row in (found["csv"], found["json"], found["api"]):
        assert row["status"] == "valid"  # the workflow's state, until the day it takes effect
        assert (row["state"], row["state_label"]) == ("withdrawal_notified", "Retrait notifié")
        assert row["valid_until"] == "2027-08-31"
        assert row["withdrawal_notified_on"] == "2027-06-01"
        assert row["withdrawal_effective_on"] == "2027-09-01"
        assert row["status_summary"] == summary
    page = found["page"]
    assert "Retrait notifié, effectif le 1er septembre 2027" in page
    assert f"Retrait notifié du certificat {certificate.number}" in found["feed"]
    assert summary[:-1] in found["feed"]

    # The sweep carries it out on its day: the new revision says it was withdrawn.
    with committed():
        assert sweep(today=dt.date(2027, 9, 2)).withdrawn == 1
    pdf = pdf_of(certificate, tmp_path)
    assert certificate.revision == 3
    assert (
        "Ce certificat a été retiré par l'Agence du numérique en santé le 1er juin 2027, avec "
        f"effet le 1er septembre 2027 (fondement : {ground} ; motif : Le produit n'est plus "
        "conforme) ; il n'atteste plus la conformité" in pdf
    )
    assert "certifie que" not in pdf and "Valable jusqu'au" not in pdf
    found = outputs(client, certificate)
    no_term_end(found, certificate)
    summary = f"Retiré le 1er juin 2027, avec effet le 1er septembre 2027 — {ground}."
    for row in (found["csv"], found["json"], found["api"]):
        assert (row["status"], row["valid_until"]) == ("withdrawn", "2027-08-31")
        assert row["status_summary"] == summary
    assert "Retiré Le 1er juin 2027, avec effet le 1er septembre 2027" in found["register"]
    assert "Plus valable depuis le 1er septembre 2027" in found["register"]
    assert f"Certificat retiré {summary}" in found["page"]


def test_r_crt_2_an_expired_certificate_says_since_when(client, world, tmp_path):
    with committed():
        certificate = world.issue()
    end = certificate.valid_until
    with on(dt.date(2031, 6, 1)):
        lifecycle.act(certificate, "stop_renewal", by=world.agency_admin, reason="Fin du service.")
    expired_on = end + dt.timedelta(days=1)
    with committed():
        assert sweep(today=expired_on + dt.timedelta(days=1)).expired == 1

    pdf = pdf_of(certificate, tmp_path)
    assert "CERTIFICAT EXPIRÉ" in pdf
    assert (
        f"Ce certificat a expiré le {french_date(expired_on)} : il n'atteste plus la conformité "
        f"du produit désigné ci-dessous au {DMN}" in pdf
    )
    assert f"Expiré le {french_date(expired_on)}" in pdf
    assert "certifie que" not in pdf and "Valable jusqu'au" not in pdf
    summary = f"Expiré le {french_date(expired_on)}."
    with on(expired_on + dt.timedelta(days=1)):
        found = outputs(client, certificate)
    assert f"Expiré Le {french_date(expired_on)}" in found["register"]
    assert f"Plus valable depuis le {french_date(expired_on)}" in found["register"]
    for row in (found["csv"], found["json"], found["api"]):
        assert (row["status"], row["status_summary"]) == ("expired", summary)
        assert row["valid_until"] == end.isoformat()  # its last day, now past
    assert f"Certificat expiré {summary}" in found["page"]
    assert "La période de validité du certificat est terminée" in found["page"]
    assert "Période de validité en cours" not in found["page"]


def test_r_crt_5_a_suspended_certificate_says_since_when(client, world, tmp_path):
    with committed():
        certificate = world.issue()
    with committed():
        world.suspend(certificate, day=dt.date(2027, 6, 1), reason="Faille de sécurité")

    pdf = pdf_of(certificate, tmp_path)
    assert "CERTIFICAT SUSPENDU" in pdf
    assert (
        "Ce certificat est suspendu depuis le 1er juin 2027 : tant que la suspension n'est pas "
        f"levée, il n'atteste pas la conformité du produit désigné ci-dessous au {DMN}" in pdf
    )
    assert "Suspendu depuis le 1er juin 2027" in pdf
    assert "certifie que" not in pdf
    found = outputs(client, certificate)
    assert "Suspendu Depuis le 1er juin 2027 Motif : Faille de sécurité" in found["register"]
    for row in (found["csv"], found["json"], found["api"]):
        assert row["status_summary"] == "Suspendu depuis le 1er juin 2027."
    assert "Certificat suspendu Suspendu depuis le 1er juin 2027." in found["page"]
    assert "le 1er juin 2027. Suspendu depuis le 1er juin 2027" in found["feed"]
    assert "État actuel : valide" not in found["feed"]


def test_r_crt_6_the_holder_and_the_agency_read_no_validity_to_come_for_a_withdrawn_certificate(
    client, world
):
    """The application's page (holder and agency), the agency's certificate page and its list
    say the withdrawal, never the 2032 term end as a validity still to come."""
    with committed():
        certificate = world.issue()
    with committed():
        world.withdraw(certificate, day=dt.date(2027, 7, 1))
    certificate.refresh_from_db()
    summary = f"Retiré le 1er juillet 2027, avec effet immédiat — {FAULT}."
    application = f"/candidatures/{certificate.application_id}/"

    client.force_login(world.a)
    holder = text(client.get(application))
    assert summary in holder
    assert "valable jusqu'au" not in holder.lower()

    client.force_login(world.agency_admin)
    for url in (application, f"/agence/certificats/{certificate.number}/"):
        page = text(client.get(url))
        assert "Retiré le 1er juillet 2027, avec effet immédiat" in page, url
        assert f"valable jusqu'au {french_date(certificate.valid_until)}" not in page.lower(), url
    listing = text(client.get("/agence/certificats/"))
    assert "Plus valable depuis le 1er juillet 2027" in listing
    assert f"Jusqu'au {french_date(certificate.valid_until)}" not in listing
