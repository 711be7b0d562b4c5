"""The agency's public PKI files (issue 24 §4, issue 25 §1): every seal certificate it has
sealed acts with, and their chains, at stable addresses, for anyone to check an act offline."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from guichet.signing import registry
from guichet.signing.models import SealCertificate

PUBLIC_CACHE = "public, max-age=3600"


def _rows():
    rows = registry.seals_for_pages()
    for row in rows:
        row.expired = row.not_after <= timezone.now()
    return rows


@require_GET
def index(request):
    certificates = _rows()
    authorities = [cert for cert in registry.known_certificates() if registry.is_authority(cert)]
    response = render(
        request,
        "signing/pki.html",
        {
            "certificates": certificates,
            "authorities": [
                {
                    "subject": cert.subject.rfc4514_string(),
                    "fingerprint": registry.fingerprint(cert),
                    "not_after": cert.not_valid_after_utc,
                }
                for cert in authorities
            ],
        },
    )
    return response


@require_GET
def chain(request):
    response = HttpResponse(registry.chain_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="guichet-chaine-cachet.pem"'
    response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_GET
def certificate(request, fingerprint: str):
    row = SealCertificate.objects.filter(fingerprint=fingerprint.lower()).first()
    if row is None:
        raise Http404("Aucun certificat de cachet de l'agence n'a cette empreinte.")
    response = HttpResponse(
        row.certificate_pem + row.chain_pem, content_type="application/x-pem-file"
    )
    response["Content-Disposition"] = f'attachment; filename="cachet-{row.fingerprint[:16]}.pem"'
    response["Cache-Control"] = PUBLIC_CACHE
    return response
