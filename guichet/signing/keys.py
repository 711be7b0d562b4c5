"""The agency's signing certificate (R-CONV-3, R-AUD-1, and certificates later). In production
it is a PKCS#12 file given by path, with its password, from the environment; for `make run` a
local CA and a signing certificate are generated once into var/keys/."""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.sign import signers
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, "Agence du numérique en santé (démonstration)"
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    os.replace(tmp, path)


def generate_local_keys(directory: Path) -> tuple[Path, bytes]:
    """A CA and a document-signing certificate it issues, as `signing.p12` + `ca.pem`."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Guichet — AC locale de démonstration"))
        .issuer_name(_name("Guichet — AC locale de démonstration"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Guichet — cachet de l'agence (démonstration)"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(24).encode()
    p12 = pkcs12.serialize_key_and_certificates(
        b"guichet", key, cert, [ca_cert], serialization.BestAvailableEncryption(password)
    )
    _write_private(directory / "signing.p12", p12)
    _write_private(directory / "signing.password", password)
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return directory / "signing.p12", password


def signing_material() -> tuple[Path, bytes]:
    """(PKCS#12 path, password) from the environment, or the local pair (generated once)."""
    configured = settings.GUICHET_SIGNING_P12
    if configured:
        password = settings.GUICHET_SIGNING_P12_PASSWORD
        if not Path(configured).exists():
            raise ImproperlyConfigured(f"GUICHET_SIGNING_P12 : fichier introuvable ({configured}).")
        return Path(configured), password.encode()
    if settings.PRODUCTION:
        raise ImproperlyConfigured("GUICHET_SIGNING_P12 doit être défini en production.")
    directory = settings.VAR_DIR / "keys"
    path = directory / "signing.p12"
    if not path.exists():
        return generate_local_keys(directory)
    return path, (directory / "signing.password").read_bytes().strip()


def agency_signer() -> signers.SimpleSigner:
    """pyHanko's signer holding the agency's key and certificate chain. Reading the PKCS#12 is
    slow (its key derivation, then the key): the signer is kept while the file is unchanged."""
    path, password = signing_material()
    stat = path.stat()
    return _signer(str(path), stat.st_mtime_ns, stat.st_size, password)


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses (and checks) its RSA private key again for every
    signature, 0.15 s each: this one parses it once."""

    _parsed_key = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        if self._parsed_key is None:
            self._parsed_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        return self._parsed_key.sign(
            data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
        )


@functools.lru_cache(maxsize=4)
def _signer(path: str, _mtime_ns: int, _size: int, password: bytes) -> signers.SimpleSigner:
    loaded = signers.SimpleSigner.load_pkcs12(pfx_file=path, passphrase=password)
    if loaded is None:
        raise ImproperlyConfigured(
            "Certificat de signature de l'agence illisible : vérifiez GUICHET_SIGNING_P12_PASSWORD."
        )
    return _KeptKeySigner(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
    )


def agency_certificates() -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The agency's certificate and the chain shipped with it in the PKCS#12 (public parts)."""
    path, password = signing_material()
    try:
        _key, certificate, chain = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    except ValueError as error:
        raise ImproperlyConfigured(
            "Certificat de signature de l'agence illisible : vérifiez GUICHET_SIGNING_P12_PASSWORD."
        ) from error
    if certificate is None:
        raise ImproperlyConfigured("GUICHET_SIGNING_P12 ne contient pas de certificat.")
    return certificate, list(chain)
