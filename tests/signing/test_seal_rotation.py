"""Replacing the agency's seal certificate (issue 24 §4): « acts signed before stay valid and
verifiable, new acts use the new one, the verification page and the PKI files served publicly
(`/pki/…`: the chain, for anyone to check an act offline) list both. A test signs, rotates,
signs again and validates both with `pdfsig` and pyHanko. » (R-CONV-3: « signed PDF (PAdES) ».)"""

from __future__ import annotations

import subprocess

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from guichet.files.services import verified_chunks
from guichet.journal.services import create_checkpoint, verify_journal
from guichet.signing.keys import generate_local_keys
from guichet.signing.models import SealCertificate
from tests.certificates.register_world import world  # noqa: F401  (a fixture)
from tests.conftest import committed

pytestmark = pytest.mark.django_db


def latest_pdf(certificate, tmp_path, name: str):
    revision = certificate.revisions.order_by("-number").first()
    path = tmp_path / name
    path.write_bytes(b"".join(verified_chunks(revision.pdf)))
    return path


def pyhanko_status(path, trusted_pem: bytes):
    roots = [
        asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(trusted_pem, multiple=True)
    ]
    authorities = [cert for cert in roots if cert.ca]
    context = ValidationContext(trust_roots=authorities, other_certs=roots, allow_fetching=False)
    with open(path, "rb") as handle:
        (signature,) = PdfFileReader(handle).embedded_signatures
        return validate_pdf_signature(signature, context)


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def test_a_replaced_seal_certificate_leaves_earlier_acts_valid_and_both_are_published(
    world,  # noqa: F811
    client,
    settings,
    tmp_path,
):
    certificate = world.issue()
    before = latest_pdf(certificate, tmp_path, "avant.pdf")
    with committed():
        create_checkpoint(by="test")
    first = SealCertificate.objects.get()

    # The agency replaces its seal (a new key, here from another authority too).
    new_p12, password = generate_local_keys(tmp_path / "nouveau-cachet")
    settings.GUICHET_SIGNING_P12 = str(new_p12)
    settings.GUICHET_SIGNING_P12_PASSWORD = password.decode()
    with committed():
        world.suspend(certificate)
    after = latest_pdf(certificate, tmp_path, "apres.pdf")
    second = SealCertificate.objects.exclude(pk=first.pk).get()

    # The public chain holds both seals and both authorities.
    response = client.get("/pki/chaine.pem")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pem-file"
    chain = response.content
    assert first.certificate_pem.encode() in chain and second.certificate_pem.encode() in chain
    assert chain.count(b"BEGIN CERTIFICATE") == 4

    # Each act validates against that chain, sealed by its own certificate.
    old_status = pyhanko_status(before, chain)
    new_status = pyhanko_status(after, chain)
    assert old_status.bottom_line and new_status.bottom_line
    assert old_status.trusted and old_status.intact and old_status.valid
    assert old_status.signing_cert.sha256.hex() == first.fingerprint
    assert new_status.signing_cert.sha256.hex() == second.fingerprint
    for path in (before, after):
        assert "Signature is Valid." in pdfsig(path)
    # Against the new authority alone, the earlier act does not chain: both are needed.
    alone = pyhanko_status(before, second.certificate_pem.encode() + second.chain_pem.encode())
    assert not alone.trusted

    # The checkpoint sealed with the first certificate still verifies.
    result = verify_journal()
    assert result.is_intact, result.errors

    # The PKI page and the verification page list both, the one in service first.
    page = client.get("/pki/").content.decode()
    assert page.index(second.fingerprint) < page.index(first.fingerprint)
    assert "En service" in page and "Remplacé" in page
    one = client.get(f"/pki/{first.fingerprint}.pem")
    assert one.status_code == 200 and one.content.startswith(first.certificate_pem.encode())
    assert client.get(f"/pki/{'0' * 64}.pem").status_code == 404
    verification = client.get(f"/certificats/{certificate.number}/").content.decode()
    assert first.fingerprint in verification and second.fingerprint in verification
    assert "remplacé" in verification and "/pki/" in verification
