"""The certificate's PDF (R-CRT-1, R-CRT-9): produced by the task worker for each revision,
sealed by the agency (pdfsig: valid; one changed byte: not valid), stating what the décret
2023-1315 lists (CSP R. 1470-1 ff.) and what the guides add, with a QR code that leads to the
public verification page, whose address is printed in clear."""

import dataclasses
import datetime as dt
import subprocess

import pytest
import qrcode
from PIL import Image

from guichet.certificates import pdf
from guichet.certificates.models import CertificateRevision, RevisionKind
from guichet.certificates.services import new_revision
from guichet.certificates.workflow import transition
from guichet.files.models import StoredFile
from guichet.files.services import verified_chunks
from guichet.referentials.wording import named_in_sentence
from tests.certificates.issue_world import pdf_text, pdfsig
from tests.certificates.world import certified, on, small_dmn, small_tlc
from tests.conftest import committed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _base_url(settings):
    """The address printed on the PDF and encoded in its QR code."""
    settings.GUICHET_BASE_URL = "http://testserver"


def saved(stored, path):
    path.write_bytes(b"".join(verified_chunks(stored)))
    return path


def test_r_crt_1_the_sealed_pdf_states_the_certificate_and_a_changed_byte_breaks_the_seal(
    catalogue, people, applicant, tmp_path
):
    version = small_tlc()
    certificate = certified(
        version,
        day=dt.date(2027, 3, 18),
        outcome="granted_with_reservations",
        reservations=["Publier la politique de sauvegarde.", "Corriger le flux DMP."],
        **people,
    )
    certificate.refresh_from_db()
    assert certificate.pdf.content_type == "application/pdf"
    assert certificate.pdf.original_name == "CC-TLC-2027-0001-revision-1.pdf"
    path = saved(certificate.pdf, tmp_path / "certificat.pdf")
    report = pdfsig(path)
    assert "Signature is Valid." in report and "ETSI.CAdES.detached" in report
    text = pdf_text(path)
    organisation = applicant.organisation
    for expected in (
        "RÉPUBLIQUE FRANÇAISE",
        "Agence du numérique en santé",
        "Certificat de conformité N° CC-TLC-2027-0001",
        f"Produit {certificate.product_name}",
        "Version 1.0",
        "Modules Web 1.0",
        f"{version.referential.name} (TLC) — version {version.number}",
        "Profils Général",
        f"Démarche {certificate.pathway}",
        f"{organisation.name} — SIREN {organisation.siren}",
        "Coordonnées de l'exploitant camille@telesante.fr",
        "Organisme certificateur Agence du numérique en santé",
        "Délivré le 18 mars 2027",
        f"Valable jusqu'au {certificate.valid_until.day} mars 2032",
        "Révision 1",
        "Réserves",
        "Publier la politique de sauvegarde.",
        "Corriger le flux DMP.",
        "sous les réserves mentionnées",
        "http://testserver/certificats/CC-TLC-2027-0001/",
    ):
        assert expected in text, expected
    # Valid and first issued: no state banner, no modification, no next check.
    for absent in ("CERTIFICAT SUSPENDU", "Modification", "Prochain contrôle", "exceptionnel"):
        assert absent not in text, absent
    # One byte of the signed content changed: the seal no longer holds.
    signed = path.read_bytes()
    tampered = bytearray(signed)
    tampered[signed.index(b"/Title") + 10] ^= 0x01
    (tmp_path / "altere.pdf").write_bytes(bytes(tampered))
    assert "Signature is Valid." not in pdfsig(tmp_path / "altere.pdf")


def test_r_crt_9_the_qr_code_of_the_pdf_encodes_its_verification_page(catalogue, people, tmp_path):
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    certificate.refresh_from_db()
    path = saved(certificate.pdf, tmp_path / "certificat.pdf")
    subprocess.run(["pdfimages", "-png", str(path), str(tmp_path / "image")], check=True)
    (image_path,) = tmp_path.glob("image-*.png")
    # No decoder is installed: the image is compared, module by module, with the QR code of
    # the verification page's address, encoded anew with the same settings.
    url = "http://testserver/certificats/CC-DMN-2027-0001/"
    expected = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4
    )
    expected.add_data(url)
    expected.make(fit=True)
    matrix = expected.get_matrix()
    image = Image.open(image_path).convert("L")
    box = image.width // len(matrix)
    assert image.width == image.height == box * len(matrix) and box >= 4
    found = [
        [image.getpixel((x * box + box // 2, y * box + box // 2)) < 128 for x in range(len(matrix))]
        for y in range(len(matrix))
    ]
    assert found == matrix
    assert url in pdf_text(path)


def test_r_crt_1_the_worker_produces_each_revision_pdf_once(catalogue, people):
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    revision = certificate.revisions.get()
    files = StoredFile.objects.count()
    again = pdf.produce_revision_pdf(revision.pk)
    assert (again.pdf_id, again.pdf_sha256) == (revision.pdf_id, revision.pdf_sha256)
    assert StoredFile.objects.count() == files


def test_r_crt_1_a_certificate_no_longer_valid_says_so_in_large_on_its_pdf(
    catalogue, people, tmp_path
):
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    revision = CertificateRevision.objects.select_related(
        "certificate__referential_version__referential"
    ).get(certificate=certificate)
    sheet = pdf.sheet_of(revision)

    def text_of(**changes) -> str:
        path = tmp_path / "rendu.pdf"
        path.write_bytes(pdf.render_certificate(dataclasses.replace(sheet, **changes)).read())
        return pdf_text(path)

    suspended = text_of(
        status="suspended",
        status_since=dt.date(2027, 6, 2),
        status_reason="Non-conformité relevée lors du contrôle.",
        revision=2,
        revision_kind="suspended",
        revision_reason="Non-conformité relevée lors du contrôle.",
        revision_on=dt.date(2027, 6, 2),
    )
    assert (
        "CERTIFICAT SUSPENDU Depuis le 2 juin 2027 — motif : Non-conformité relevée lors du "
        "contrôle." in suspended
    )
    assert (
        "Révision 2 du 2 juin 2027 : Suspension — Non-conformité relevée lors du contrôle. "
        "Elle remplace les révisions précédentes." in suspended
    )
    withdrawn = text_of(
        status="withdrawn",
        status_since=dt.date(2027, 9, 1),
        withdrawal_ground="fraud",
        status_reason="Fraude établie.",
    )
    assert (
        "CERTIFICAT RETIRÉ Depuis le 1er septembre 2027 — Résiliation pour fraude (article 15 de "
        "la convention) — motif : Fraude établie." in withdrawn
    )
    assert "CERTIFICAT EXPIRÉ Depuis le 1er mars 2032" in text_of(
        status="expired", status_since=dt.date(2032, 3, 1)
    )
    scheduled = text_of(withdrawal_effective_on=dt.date(2027, 12, 1))
    assert "Retrait notifié, effectif le 1er décembre 2027" in scheduled
    assert "CERTIFICAT" not in scheduled.replace("Certificat", "")
    exceptional = text_of(kind="exceptional", next_check=dt.date(2028, 3, 4))
    assert "Certificat de conformité exceptionnel N° CC-DMN-2027-0001" in exceptional
    assert "Prochain contrôle 4 mars 2028" in exceptional
    assert "il expire le 31 décembre 2024 au plus tard" in exceptional
    vat = text_of(company_id="FR40303265045")
    assert "N° de TVA FR40303265045" in vat


def test_r_crt_1_a_revision_made_by_the_platform_gets_its_sealed_pdf_too(
    catalogue, people, committee_member, tmp_path
):
    """A change the platform makes by itself (the sweep's expiry, part of the lifecycle) has
    no author: its PDF is recorded as produced for the one who issued the certificate."""
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    expiry = certificate.valid_until + dt.timedelta(days=1)
    with on(expiry), committed():
        certificate = transition(certificate, "expire", by=None)
        revision = new_revision(
            certificate, RevisionKind.EXPIRED, by=None, reason="Fin de la période de validité."
        )
    revision.refresh_from_db()
    certificate.refresh_from_db()
    assert revision.by is None and revision.pdf.uploaded_by == committee_member
    assert certificate.pdf_id == revision.pdf_id
    text = pdf_text(saved(revision.pdf, tmp_path / "expire.pdf"))
    assert "CERTIFICAT EXPIRÉ" in text
    assert "Expiration — Fin de la période de validité." in text


def test_r_crt_1_the_pdf_names_its_referential_once(catalogue, people, tmp_path):
    """« conforme au référentiel d'interopérabilité… »: the referential's name already starts
    with the word, which the sentence does not repeat."""
    certificate = certified(small_dmn(), day=dt.date(2027, 3, 4), **people)
    certificate.refresh_from_db()
    text = pdf_text(saved(certificate.pdf, tmp_path / "certificat.pdf"))
    version = certificate.referential_version
    assert version.referential.name.startswith("Référentiel d'interopérabilité")
    assert (
        "L'Agence du numérique en santé certifie que le produit désigné ci-dessous est conforme "
        "au référentiel d'interopérabilité et de sécurité des dispositifs médicaux numériques "
        f"(DMN), version {version.number}, pour les profils indiqués." in text
    )
    assert "référentiel Référentiel" not in text


@pytest.mark.parametrize(
    ("name", "in_sentence"),
    [
        (
            "Référentiel d'interopérabilité et de sécurité des dispositifs médicaux numériques",
            "référentiel d'interopérabilité et de sécurité des dispositifs médicaux numériques",
        ),
        ("référentiel  de téléconsultation", "référentiel de téléconsultation"),
        ("DMN", "référentiel DMN"),
        ("Référentiels croisés", "référentiel Référentiels croisés"),
    ],
)
def test_r_crt_1_a_referential_is_named_once_in_a_sentence(name, in_sentence):
    assert named_in_sentence(name) == in_sentence
