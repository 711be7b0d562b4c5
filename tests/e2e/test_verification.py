# ruff: noqa: F811 (the world fixture imported from register_world)
"""End to end, in Debian's Chromium: a certificate's public verification page (R-CRT-9), which
the QR code of its PDF opens, mostly on a phone. A copy of the PDF is checked without a
terminal: chosen on the page, its SHA-256 computed by the browser (Web Crypto: nothing is
uploaded), the page says which revision it is, or that it matches none; without JavaScript the
form takes a SHA-256 pasted by hand. On a 390 px screen every value reads whole."""

import datetime as dt
import hashlib

import pytest

from guichet.files.services import verified_chunks
from tests.certificates.register_world import world  # noqa: F401
from tests.e2e.threads import off_the_browser_thread

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def issued_with_its_pdf(world, tmp_path):
    """A certificate issued, then withdrawn (two revisions), and its first revision's PDF as the
    holder received it."""

    def issue():
        certificate = world.issue()
        first = certificate.revisions.get(number=1)
        world.withdraw(certificate, day=dt.date(2027, 7, 1))
        certificate.refresh_from_db()
        return certificate, b"".join(verified_chunks(first.pdf))

    certificate, content = off_the_browser_thread(issue)
    path = tmp_path / "certificat.pdf"
    path.write_bytes(content)
    return certificate, path


def test_r_crt_9_a_copy_chosen_on_the_page_is_checked_by_its_sha256_computed_in_the_browser(
    live_server, browser, world, journal_rows_removed, tmp_path
):
    certificate, copy = issued_with_its_pdf(world, tmp_path)
    altered = tmp_path / "modifie.pdf"
    altered.write_bytes(copy.read_bytes() + b"\n% une ligne ajoutee\n")
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url)))
    try:
        page.goto(f"{live_server.url}/certificats/{certificate.number}/")
        chooser = page.get_by_label("Choisissez le PDF reçu, ou déposez-le ici")
        assert chooser.is_visible()
        with page.expect_navigation():
            chooser.set_input_files(str(copy))
        result = page.locator("#copie ~ .fr-alert").first
        assert " ".join(result.inner_text().split()) == (
            "Cette copie correspond à la révision 1 du certificat (délivrance du 4 mars 2027) : "
            "une révision antérieure, remplacée depuis par la révision 2 ; l'état actuel du "
            "certificat est celui indiqué sur cette page."
        )
        sha256 = hashlib.sha256(copy.read_bytes()).hexdigest()
        assert page.get_by_label("Empreinte SHA-256 de la copie").input_value() == sha256
        # Nothing but the SHA-256 left the browser: no upload, one GET with it.
        assert [method for method, _ in sent if method != "GET"] == []
        assert any(url.endswith(f"?empreinte={sha256}") for _, url in sent)

        with page.expect_navigation():
            page.get_by_label("Choisissez le PDF reçu, ou déposez-le ici").set_input_files(
                str(altered)
            )
        result = page.locator("#copie ~ .fr-alert").first
        assert result.inner_text().startswith(
            "Cette empreinte ne correspond à aucune révision de ce certificat : la copie n'est "
            "pas un document délivré par l'agence, ou elle a été modifiée."
        )
    finally:
        context.close()


def test_r_crt_9_without_javascript_the_copy_is_checked_by_a_pasted_sha256(
    live_server, browser, world, journal_rows_removed, tmp_path
):
    certificate, copy = issued_with_its_pdf(world, tmp_path)
    context = browser.new_context(locale="fr-FR", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/certificats/{certificate.number}/")
        assert not page.get_by_label("Choisissez le PDF reçu, ou déposez-le ici").is_visible()
        field = page.get_by_label("Empreinte SHA-256 de la copie")
        field.fill(hashlib.sha256(copy.read_bytes()).hexdigest() + "  certificat.pdf")
        with page.expect_navigation():
            page.get_by_role("button", name="Vérifier la copie").click()
        assert (
            page.locator("#copie ~ .fr-alert")
            .first.inner_text()
            .startswith("Cette copie correspond à la révision 1 du certificat")
        )
    finally:
        context.close()


def test_r_crt_9_a_withdrawn_certificate_reads_whole_on_a_390_px_screen(
    live_server, browser, world, journal_rows_removed, tmp_path
):
    certificate, _ = issued_with_its_pdf(world, tmp_path)
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/certificats/{certificate.number}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        state = page.locator("[data-whole=etat]")
        assert " ".join(state.inner_text().split()) == (
            "Retiré le 1er juillet 2027, avec effet immédiat — Faute (article 16) : "
            "informations du dossier inexactes."
        )
        number = page.locator("dd[data-whole=numero]")
        assert number.inner_text() == certificate.number
        for value in page.locator("main dd, main [data-whole], main code").all():
            box = value.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, value.inner_text()
            assert value.evaluate("v => v.scrollWidth <= v.clientWidth + 1"), value.inner_text()
        # Label above value on a phone.
        label = page.locator("dt", has_text="Numéro").bounding_box()
        assert label["y"] + label["height"] <= number.bounding_box()["y"] + 1
    finally:
        context.close()
