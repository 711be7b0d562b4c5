"""Public verification pages (R-CRT-9): no account needed. `/certificats/` asks for a number,
`/certificats/<number>/` tells the certificate's state, what it states, its history and the
SHA-256 of its PDF, and checks a copy's SHA-256. Lookups are rate-limited per client IP."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse

from guichet.certificates import verification as selectors
from guichet.certificates.ratelimits import consume_lookup, throttled_message
from guichet.signing.registry import current_fingerprint, seals_for_pages

NUMBER_EXAMPLE = "CC-DMN-2027-0001"


def _throttled(request, wait: int, number: str = ""):
    response = render(
        request,
        "certificates/verify_home.html",
        {
            "error": throttled_message(wait),
            "number": number,
            "example": NUMBER_EXAMPLE,
            "register": selectors.register_path(),
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def verify_home(request):
    """« Vérifier un certificat »: a number, then its page."""
    context = {"example": NUMBER_EXAMPLE, "register": selectors.register_path(), "number": ""}
    raw = request.GET.get("numero")
    if raw is None:
        return render(request, "certificates/verify_home.html", context)
    number = selectors.normalize_number(raw)[:64]
    context["number"] = number
    if not number:
        context["error"] = (
            f"Saisissez le numéro du certificat, tel qu'il figure sur le certificat (par exemple "
            f"{NUMBER_EXAMPLE})."
        )
        return render(request, "certificates/verify_home.html", context, status=400)
    wait = consume_lookup(request)
    if wait:
        return _throttled(request, wait, number)
    certificate = selectors.find_certificate(number)
    if certificate is None:
        context["error"] = _unknown_message(number)
        return render(request, "certificates/verify_home.html", context, status=404)
    return redirect("certificates:verify", certificate.number)


def _unknown_message(number: str) -> str:
    return (
        f"Aucun certificat de conformité ne porte le numéro « {number} ». Vérifiez le numéro "
        f"(il s'écrit comme {NUMBER_EXAMPLE}) ou cherchez le produit dans le registre public."
    )


def verify(request, number: str):
    wait = consume_lookup(request)
    if wait:
        return _throttled(request, wait, number[:64])
    certificate = selectors.find_certificate(number)
    if certificate is None:
        return render(
            request,
            "certificates/verify_home.html",
            {
                "error": _unknown_message(number[:64]),
                "number": number[:64],
                "example": NUMBER_EXAMPLE,
                "register": selectors.register_path(),
                "unknown": True,
            },
            status=404,
        )
    if certificate.number != number:  # typed in lower case, with spaces…
        target = reverse("certificates:verify", args=[certificate.number])
        if request.GET:
            target += "?" + request.GET.urlencode()
        return redirect(target)
    raw = request.GET.get("empreinte")
    if raw is not None:
        return _verify_copy(request, certificate, raw)
    # Kept per revision (issue 24 §1): the page of a visitor without a session is the same for
    # all until the certificate, the day or the seal in service changes.
    user = request.user.pk if request.user.is_authenticated else ""
    etag = selectors.answer_etag(certificate, "page", current_fingerprint(), str(user))
    if selectors.etag_matches(request, etag):
        return _revalidated(HttpResponseNotModified(), etag)
    keeps = not user and not request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    keeps = keeps and "messages" not in request.COOKIES
    nonce = str(request.csp_nonce)
    kept = selectors.kept_page(etag, nonce) if keeps else None
    if kept is not None:
        return _revalidated(HttpResponse(kept), etag)
    response = render(
        request, "certificates/verify.html", _context(selectors.verification_of(certificate))
    )
    if keeps and b"csrfmiddlewaretoken" not in response.content:
        selectors.keep_page(etag, response.content.decode(), nonce)
    return _revalidated(response, etag)


def _revalidated(response, etag: str):
    """Its ETag, and every use asks again (a certificate's state must show at once)."""
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


def _context(found) -> dict:
    return {
        "certificate": found.certificate,
        "revisions": found.revisions,
        "reservation_items": found.reservations,
        "current": found.current,
        "pdf_ready": found.pdf_ready,
        "standing": found.standing,
        "register": selectors.register_path(),
        "copy": None,
        "seals": seals_for_pages(),
    }


def _verify_copy(request, certificate, raw: str):
    """The page with the check of a copy's SHA-256 against every revision (not kept)."""
    found = selectors.verification_of(certificate)
    context = _context(found)
    status = 200
    sha256 = selectors.normalize_sha256(raw)
    copy = {"sha256": raw.strip()[:200]}
    if not selectors.SHA256.match(sha256):
        copy["error"] = (
            "Une empreinte SHA-256 s'écrit avec 64 caractères hexadécimaux (chiffres 0 à 9 "
            "et lettres a à f). Copiez celle que donne votre outil, par exemple "
            "« sha256sum certificat.pdf »."
        )
        status = 400
    else:
        copy["sha256"] = sha256
        copy["revision"] = found.revision_of_copy(sha256)
    context["copy"] = copy
    return render(request, "certificates/verify.html", context, status=status)
