from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guichet.applications import extensions
from guichet.applications.models import INSTRUCTION_STATES, Status
from guichet.applications.selectors import get_application
from guichet.common.access import applicant_required, login_required
from guichet.common.errors import ApplicationError
from guichet.evidence import services
from guichet.evidence.selectors import (
    evidence_open,
    progress,
    reopened_proofs,
    tree,
    waiting_for_convention,
)
from guichet.files.pages import take_upload_refusal, upload_page
from guichet.files.services import allowed_types_text, max_upload_text


@extensions.panel
def evidence_panel(request, application) -> dict | None:
    """The way to the evidence, on the application page, once it can be deposited."""
    if application.status not in (Status.ADMISSIBLE, Status.COMPLETE, *INSTRUCTION_STATES):
        return None
    # Who acts next while the evidence is deposited: the applicant (once its convention is
    # signed where it comes first, R-CONV-1), then the agency once the dossier is complete.
    return {
        "template": "evidence/panel.html",
        "depositing": application.status == Status.ADMISSIBLE,
        "waiting_for_convention": waiting_for_convention(application),
    }


def _page_context(request, application) -> dict:
    sections = tree(application)
    verdicts = extensions.verdicts_for(application, request.user)
    refused = take_upload_refusal(request)
    for node in sections:
        for requirement in node.requirements:
            for scenario in requirement["scenarios"]:
                for item in scenario["proofs"]:
                    item["verdict"] = verdicts.get(item["proof"].pk)
                    item["upload_error"] = refused.get(f"f-{item['proof'].pk}", "")
    is_open = evidence_open(application)
    return {
        "application": application,
        "sections": sections,
        "progress": progress(sections),
        "open": is_open,
        "can_upload": is_open and not request.user.is_agency,
        # Under instruction: the proofs an open request reopens, alone (issue 11 §3).
        "reopened": reopened_proofs(application),
        # R-CRT-4: a dossier complete on the exceptional certificate's sections alone.
        "sections_left": [n.section.code for n in sections if not n.submitted]
        if application.evidence_complete_at
        else [],
        "waiting_convention": waiting_for_convention(application),
        "allowed_types": allowed_types_text(),
        "max_upload": max_upload_text(),
        # R-EVD-1: the reminder before any upload links the agency's test environments.
        "test_environments_url": settings.GUICHET_TEST_ENVIRONMENTS_URL,
    }


@login_required
def evidence_page(request, pk):
    application = get_application(request.user, pk)
    return render(request, "evidence/evidence.html", _page_context(request, application))


def _proof_fragment(request, application, proof_id: int) -> dict:
    """After an upload, what the page replaces in place (issue 14 §1): the proof's block, its
    section's title, progress and submit button, the dossier's progress — the open section
    and the scroll position stay as they were."""
    context = _page_context(request, application)
    for node in context["sections"]:
        for requirement in node.requirements:
            for scenario in requirement["scenarios"]:
                for item in scenario["proofs"]:
                    if item["proof"].pk != proof_id:
                        continue
                    local = {**context, "node": node, "p": item}
                    return {
                        "proof": proof_id,
                        "html": render_to_string("evidence/_proof.html", local, request=request),
                        "section": {
                            "code": node.section.code,
                            "title": render_to_string("evidence/_section_title.html", local),
                            "percent": node.percent,
                            "complete": node.proofs_done >= node.proofs_total,
                        },
                        "progress": {
                            "text": render_to_string("evidence/_progress.html", context),
                            "percent": context["progress"]["percent"],
                        },
                    }
    return {}


@csrf_exempt  # checked by _upload_page once access is granted, without reading the body
@require_POST
@applicant_required
def evidence_upload(request, pk, proof):
    application = get_application(request.user, pk)

    def attach(uploads, produced_on):
        return services.add_evidence_files(
            by=request.user,
            application=application,
            proof_id=proof,
            uploads=uploads,
            produced_on=produced_on,
            names_version=request.POST.get("names_version", ""),
            replaces=request.POST.get("replaces") or None,
        )

    return upload_page(
        request,
        lambda: (
            services.upload_target(
                by=request.user, application=application, proof_id=proof
            ).sensitive
        ),
        attach,
        back=reverse("evidence:page", args=[pk]) + f"#proof-{proof}",
        fragment=lambda: _proof_fragment(request, application, proof),
        field=f"f-{proof}",
    )


@applicant_required
@require_POST
def section_submit(request, pk, section):
    application = get_application(request.user, pk)
    try:
        services.submit_section(by=request.user, application=application, section_code=section)
    except ApplicationError as exc:
        missing = exc.extra.get("missing") or []
        messages.error(
            request, exc.message + (" Manquent : " + " ; ".join(missing[:10]) if missing else "")
        )
    else:
        application.refresh_from_db()
        if application.evidence_complete_at:
            messages.success(
                request,
                "Dernière section soumise : le dossier est complet. L'accusé de réception vous est "
                f"envoyé par courriel. État de la candidature : {application.get_status_display()}.",
            )
        else:
            messages.success(
                request, "Section soumise : elle est en lecture seule jusqu'à un éventuel renvoi."
            )
    return redirect(reverse("evidence:page", args=[pk]) + f"#section-{section}")


@extensions.issued_documents
def acknowledgment_document(application, user) -> list[dict]:
    if application.acknowledgment_id is None:
        return []
    return [
        {
            "label": "Accusé de réception du dossier complet (PDF)",
            "date": timezone.localtime(application.evidence_complete_at).date(),
            "url": reverse(
                "applications:file", args=[application.pk, application.acknowledgment_id]
            ),
        }
    ]
