"""End to end, in Debian's Chromium: a proof uploaded on the evidence page appears in place —
no reload, the open section and the scroll position kept, the confirmation at the proof, the
section's and the dossier's counts updated (issue 14 §1)."""

import pytest

from guichet.evidence.models import EvidenceFile
from tests.e2e.signing_in import sign_in
from tests.workflow import ApplicationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_r_evd_1_a_proof_uploads_in_place_without_reloading_the_page(
    live_server, page, catalogue, dmn, journal_rows_removed, tmp_path
):
    application = ApplicationFactory(referential=dmn, state="evidence")
    applicant = application.created_by
    sign_in(page, live_server.url, applicant.email)
    page.goto(live_server.url + f"/candidatures/{application.pk}/preuves/")
    page.evaluate("window.__still_here = true")  # gone if the page reloads

    first_proof = page.locator("[id^='proof-']").first
    proof_id = first_proof.get_attribute("id")
    pdf = tmp_path / "capture.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 50_000)
    first_proof.locator("input[type=file]").set_input_files(str(pdf))
    button = first_proof.get_by_role("button", name="Déposer")
    button.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    button.click()

    block = page.locator(f"[id='{proof_id}']")
    block.locator("[role=status]", has_text="Déposé : capture.pdf.").wait_for()
    assert block.locator(".fr-badge", has_text="déposée").count() == 1
    assert page.evaluate("window.__still_here") is True
    assert page.evaluate("window.scrollY") == scrolled
    assert "Progression : 1 /" in page.locator("[data-progress-text]").inner_text()
    assert EvidenceFile.objects.filter(application=application).count() == 1
    # The new form of that proof works in turn (a second file, replacing nothing).
    second = tmp_path / "procedure.pdf"
    second.write_bytes(b"%PDF-1.4\n" + b"1" * 10_000)
    block.locator("input[type=file]").set_input_files(str(second))
    block.get_by_role("button", name="Déposer").click()
    page.locator(f"[id='{proof_id}'] [role=status]", has_text="procedure.pdf").wait_for()
    assert page.evaluate("window.__still_here") is True
    assert EvidenceFile.objects.filter(application=application).count() == 2


def test_r_evd_2_a_refused_file_is_shown_at_its_input_as_a_dsfr_error(
    live_server, page, catalogue, dmn, journal_rows_removed, tmp_path
):
    """Issue 19: with JavaScript too, a refused type is the error of the file input (its upload
    group in error, the message tied to the input), and a good file then clears it."""
    application = ApplicationFactory(referential=dmn, state="evidence")
    applicant = application.created_by
    sign_in(page, live_server.url, applicant.email)
    page.goto(live_server.url + f"/candidatures/{application.pk}/preuves/")
    page.evaluate("window.__still_here = true")

    proof = page.locator("[id^='proof-']").first
    proof_id = proof.get_attribute("id")
    bad = tmp_path / "rapport.pdf"
    bad.write_bytes(b"\x00\x01\x02 pas un document")
    proof.locator("input[type=file]").set_input_files(str(bad))
    proof.get_by_role("button", name="Déposer").click()
    block = page.locator(f"[id='{proof_id}']")
    error = block.locator(".fr-upload-group--error .fr-error-text", has_text="type non reconnu")
    error.wait_for()
    upload = block.locator("input[type=file]")
    assert error.get_attribute("id") in upload.get_attribute("aria-describedby").split()
    assert page.evaluate("window.__still_here") is True
    assert EvidenceFile.objects.filter(application=application).count() == 0

    good = tmp_path / "capture.pdf"
    good.write_bytes(b"%PDF-1.4\n" + b"0" * 1_000)
    upload.set_input_files(str(good))
    block.get_by_role("button", name="Déposer").click()
    page.locator(f"[id='{proof_id}'] [role=status]", has_text="capture.pdf").wait_for()
    assert page.locator(f"[id='{proof_id}'] .fr-upload-group--error").count() == 0
