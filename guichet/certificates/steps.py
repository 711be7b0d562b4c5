"""The steps after the certificate that a referential version lists (R-CRT-7; DMN guide §2:
« devront ensuite présenter une demande d'inscription auprès des ministres chargés de la santé
et de la sécurité sociale. Une copie de cette demande est simultanément adressée à la commission
… et aux conseils nationaux professionnels »; §5.3: « devront joindre ce certificat dans le
dossier d'évaluation … à la CNEDiMTS »). Data of the version (`after_certificate_steps`), as
TLC's approval and FINESS steps are: the holder or the agency records each one with its day,
between the certificate's issuance and today, once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet.applications.notifications import notify_instructors
from guichet.certificates.lifecycle import _past_day, tell_holder
from guichet.certificates.models import Certificate, CertificateStep
from guichet.certificates.workflow import LIVE, _holder_or_manager
from guichet.common.errors import ApplicationError
from guichet.deadlines import french_date
from guichet.journal.services import record


@dataclass(frozen=True)
class StepRow:
    code: str
    label: str
    record: CertificateStep | None


def steps_of(certificate: Certificate) -> list[StepRow]:
    """The version's steps after this certificate, each with its record when there is one."""
    listed = certificate.referential_version.process_settings.after_certificate_steps
    if not listed:
        return []
    done = {step.code: step for step in certificate.steps.all()}
    return [StepRow(step["code"], step["label"], done.get(step["code"])) for step in listed]


def step_refusal(certificate: Certificate, code: str, user) -> str | None:
    """Why `user` may not record the step `code` now (French), or None."""
    row = next((row for row in steps_of(certificate) if row.code == code), None)
    if row is None:
        return "Cette étape n'existe pas pour le référentiel de ce certificat."
    if not _holder_or_manager(user, certificate):
        return "L'étape se déclare par l'organisation titulaire du certificat ou par l'agence."
    if certificate.status not in LIVE:
        return (
            f"Le certificat est « {certificate.get_status_display().lower()} » : les étapes qui "
            "le suivent se déclarent pendant sa validité."
        )
    if row.record is not None:
        return f"L'étape est déjà déclarée (le {french_date(row.record.done_on)})."
    return None


@transaction.atomic
def record_step(certificate: Certificate, *, code: str, done_on: dt.date, by) -> CertificateStep:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    refusal = step_refusal(certificate, code, by)
    if refusal:
        raise ApplicationError(refusal, extra={"status": 409})
    label = next(row.label for row in steps_of(certificate) if row.code == code)
    done_on = _past_day(certificate, done_on, field="done_on", what=f"La date de « {label} »")
    try:
        with transaction.atomic():
            step = CertificateStep.objects.create(
                certificate=certificate, code=code, label=label, done_on=done_on, by=by
            )
    except IntegrityError:
        raise ApplicationError("Cette étape est déjà déclarée.", extra={"status": 409}) from None
    record(
        action="certificate.step",
        obj=certificate,
        by=by,
        application_id=certificate.application_id,
        after={"step": code, "label": label, "done_on": done_on.isoformat()},
    )
    text = f"« {label} » : le {french_date(done_on)}, pour le certificat {certificate.number}."
    if by.is_agency:
        tell_holder(certificate, "étape enregistrée", f"L'agence a enregistré l'étape {text}")
    else:
        notify_instructors(
            certificate.application,
            "étape après le certificat",
            text,
            certificate=certificate.number,
        )
    return step


# --- the pages (the certificate's page, the holder's and the agency's) ------------------------


@login_required
@require_POST
def step_view(request, number, code):
    """Records a step from the certificate's page, the holder's or the agency's."""
    user = request.user
    rows = Certificate.objects.select_related("referential_version", "application")
    if not user.is_agency:
        if not user.organisation_id:
            raise Http404
        rows = rows.filter(organisation_id=user.organisation_id)
    certificate = get_object_or_404(rows, number=number)
    back = reverse(
        "certificates:agency-detail" if user.is_agency else "certificates:manage",
        args=[certificate.number],
    )
    if request.POST.get("confirm") != "on":
        messages.error(request, "Cochez la case pour confirmer l'étape.")
        return redirect(f"{back}#etapes")
    try:
        done_on = dt.date.fromisoformat(request.POST.get("done_on", ""))
    except ValueError:
        messages.error(request, "Indiquez la date de l'étape (jour, mois, année).")
        return redirect(f"{back}#etapes")
    try:
        step = record_step(certificate, code=code, done_on=done_on, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Étape enregistrée : « {step.label} », le {french_date(step.done_on)}."
        )
    return redirect(f"{back}#etapes")
