from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from guichet.accounts.security import has_totp
from guichet.applications import extensions
from guichet.applications.selectors import get_application
from guichet.applications.workflow import WORKFLOW
from guichet.common.access import applicant_required, login_required
from guichet.common.errors import ApplicationError
from guichet.conventions.models import Convention
from guichet.conventions.selectors import convention_document
from guichet.conventions.services import sign_convention
from guichet.evidence.selectors import evidence_open
from guichet.files.api import download_response


@extensions.form("convention")
def convention_form(application) -> str:
    return reverse("applications:detail", args=[application.pk]) + "#convention"


@extensions.panel
def convention_panel(request, application) -> dict | None:
    """The convention's part of the application page: to read, to sign, signed."""
    convention = Convention.objects.filter(application=application).first()
    if convention is None:
        return None
    # The workflow says when it may be signed (TLC: once the instruction is finished, R-CONV-2).
    refusal = WORKFLOW.refusal(application, WORKFLOW.get("sign_convention"), request.user)
    return {
        "template": "conventions/panel.html",
        "convention": convention,
        "user_has_totp": has_totp(request.user),
        "can_sign": refusal is None,
        "sign_refusal": refusal.message if refusal is not None else "",
    }


@login_required
def convention_pdf(request, pk):
    application = get_application(request.user, pk)
    try:
        return download_response(
            convention_document(application), by=request.user, application=application
        )
    except ApplicationError as exc:
        messages.info(request, exc.message)
        return redirect(reverse("applications:detail", args=[pk]) + "#convention")


@applicant_required
@require_POST
def convention_sign(request, pk):
    application = get_application(request.user, pk)
    if request.POST.get("confirm") != "on":
        messages.error(request, "Cochez la case pour confirmer que vous signez la convention.")
        return redirect(reverse("applications:detail", args=[pk]) + "#convention")
    try:
        convention = sign_convention(
            by=request.user,
            application=application,
            password=request.POST.get("password", ""),
            otp=request.POST.get("otp", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Convention {convention.number} signée. L'agence la scelle : le PDF signé vous est "
            "envoyé par courriel dans quelques instants."
            + (" Le dépôt des preuves est ouvert." if evidence_open(application) else ""),
        )
    return redirect(reverse("applications:detail", args=[pk]) + "#convention")


@extensions.issued_documents
def signed_convention_document(application, user) -> list[dict]:
    convention = getattr(application, "convention", None)
    if convention is None or not convention.is_signed:
        return []
    return [
        {
            "label": f"Convention {convention.number} signée et scellée (PDF)",
            "date": timezone.localtime(convention.signed_at).date(),
            "url": reverse("conventions:pdf", args=[application.pk]),
        }
    ]
