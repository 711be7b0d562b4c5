"""The data of each act of the certificate's life, as pages and the API send it (issue 13 §3):
one Django form per act, so that both read dates, booleans and choices the same way and
answer in French. The rules (six months, the grounds, FINESS) are the services'."""

from __future__ import annotations

from django import forms

from guichet.certificates.lifecycle import TEXT_MAX_LENGTH
from guichet.certificates.models import NoticeKind, StrikeOffGround, WithdrawalGround
from guichet.common.errors import ApplicationError

DATE_ERRORS = {"invalid": "Indiquez une date au format AAAA-MM-JJ."}
REQUIRED = "Ce champ est obligatoire."


class ActForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        error_messages={"max_length": f"Saisissez au plus {TEXT_MAX_LENGTH} caractères."},
    )

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class WithdrawalForm(ActForm):
    ground = forms.ChoiceField(
        choices=WithdrawalGround.choices,
        error_messages={
            "required": "Choisissez le fondement du retrait.",
            "invalid_choice": "Fondement inconnu : choisissez-le dans la liste.",
        },
    )
    effective_on = forms.DateField(required=False, error_messages=DATE_ERRORS)


class FormalNoticeForm(ActForm):
    kind = forms.ChoiceField(
        choices=NoticeKind.choices,
        error_messages={
            "required": "Choisissez la nature de la mise en demeure.",
            "invalid_choice": "Nature inconnue : choisissez-la dans la liste.",
        },
    )
    deadline = forms.DateField(
        error_messages={**DATE_ERRORS, "required": "Indiquez l'échéance de la mise en demeure."}
    )
    suspend = forms.BooleanField(required=False)


class CloseNoticeForm(ActForm):
    notice = forms.IntegerField(
        required=False, error_messages={"invalid": "Indiquez le numéro de la mise en demeure."}
    )
    fixed = forms.TypedChoiceField(
        choices=[("true", "Oui"), ("false", "Non")],
        coerce=lambda value: str(value).lower() == "true",
        error_messages={
            "required": "Dites si les non-conformités sont corrigées (true ou false).",
            "invalid_choice": "Répondez true (corrigé) ou false (non corrigé).",
        },
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and isinstance(data.get("fixed"), bool):
            data = {**data, "fixed": "true" if data["fixed"] else "false"}
        super().__init__(data, *args, **kwargs)


class ControlForm(ActForm):
    held_on = forms.DateField(
        error_messages={**DATE_ERRORS, "required": "Indiquez la date du contrôle."}
    )
    conclusion = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        error_messages={
            "required": "Indiquez les conclusions du contrôle.",
            "max_length": f"Saisissez au plus {TEXT_MAX_LENGTH} caractères.",
        },
    )
    conforme = forms.TypedChoiceField(
        choices=[("true", "Conforme"), ("false", "Non conforme")],
        coerce=lambda value: str(value).lower() == "true",
        error_messages={
            "required": "Dites si le contrôle conclut à la conformité.",
            "invalid_choice": "Répondez true (conforme) ou false (non conforme).",
        },
    )
    periodic = forms.BooleanField(required=False)
    next_check = forms.DateField(required=False, error_messages=DATE_ERRORS)


class StrikeOffForm(ActForm):
    ground = forms.ChoiceField(
        choices=StrikeOffGround.choices,
        error_messages={
            "required": "Choisissez le motif de la demande de radiation.",
            "invalid_choice": "Motif inconnu : choisissez-le dans la liste.",
        },
    )


class ApprovalForm(ActForm):
    filed_on = forms.DateField(
        error_messages={**DATE_ERRORS, "required": "Indiquez la date du dépôt."}
    )


class FinessForm(ActForm):
    finess = forms.CharField(
        max_length=20,
        error_messages={
            "required": "Indiquez le numéro FINESS.",
            "max_length": "Un numéro FINESS compte 9 caractères.",
        },
    )


class VersionForm(ActForm):
    product_version = forms.CharField(
        max_length=64,
        error_messages={
            "required": "Indiquez la nouvelle version du produit.",
            "max_length": "La version compte au plus 64 caractères.",
        },
    )
    modules = forms.CharField(
        required=False,
        widget=forms.Textarea,
        max_length=TEXT_MAX_LENGTH,
        help_text="Un module par ligne : « nom version ».",
    )

    def clean_modules(self):
        value = self.cleaned_data.get("modules")
        raw = self.data.get("modules") if hasattr(self.data, "get") else None
        if isinstance(raw, list):  # the API sends [{"name", "version"}]
            modules = []
            for item in raw:
                if not isinstance(item, dict) or not str(item.get("name", "")).strip():
                    raise forms.ValidationError(
                        'Chaque module a un nom et une version : {"name": …, "version": …}.'
                    )
                modules.append(
                    {
                        "name": str(item["name"]).strip()[:255],
                        "version": str(item.get("version", "")).strip()[:64],
                    }
                )
            return modules
        if not value:
            return None
        modules = []
        for line in str(value).splitlines():
            line = line.strip()
            if line:
                name, _, version = line.rpartition(" ")
                modules.append(
                    {"name": (name or version)[:255], "version": version if name else ""}
                )
        return modules


class ReservationForm(ActForm):
    """R-DEC-2: the reservation lifted, or found not lifted, by its rank (1 for the first)."""

    reservation = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": "Indiquez la réserve (son rang : 1 pour la première).",
            "invalid": "Le rang d'une réserve est un nombre entier : 1 pour la première.",
            "min_value": "Le rang d'une réserve commence à 1.",
        },
    )


# The form of each act (the workflow's `form` names; acts without data take a reason alone).
FORMS = {
    "withdraw": WithdrawalForm,
    "schedule_withdrawal": WithdrawalForm,
    "give_formal_notice": FormalNoticeForm,
    "close_formal_notice": CloseNoticeForm,
    "record_control": ControlForm,
    "request_strike_off": StrikeOffForm,
    "record_approval_filing": ApprovalForm,
    "record_finess": FinessForm,
    "correct_finess": FinessForm,
    "update_version": VersionForm,
    "lift_reservation": ReservationForm,
    "fail_reservation": ReservationForm,
}


def parse(name: str, data) -> tuple[str, dict]:
    """(reason, data for the service) from what a page or the API sent; a 400 with every
    field's French message otherwise."""
    form = FORMS.get(name, ActForm)(data)
    if not form.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        first = next(iter(errors.values()))[0]
        raise ApplicationError(
            f"Les données envoyées sont invalides : {first}",
            extra={"status": 400, "errors": errors},
        )
    return form.cleaned_data.get("reason", ""), form.data_for_service()
