from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from guichet.accounts import services
from guichet.accounts.models import RegistrationRequest, RegistrationStatus
from guichet.common.errors import ApplicationError


class RegistrationForm(forms.Form):
    company_name = forms.CharField(label="Raison sociale", required=False)
    company_id = forms.CharField(
        label="SIREN, SIRET ou numéro de TVA intracommunautaire",
        required=False,
        help_text="Le numéro de TVA intracommunautaire seulement si l'entreprise n'a pas de SIREN.",
    )
    responsible_first_name = forms.CharField(label="Prénom", required=False)
    responsible_last_name = forms.CharField(label="Nom", required=False)
    responsible_email = forms.CharField(label="Adresse électronique", required=False)
    responsible_phone = forms.CharField(label="Téléphone", required=False)
    legal_rep_first_name = forms.CharField(label="Prénom", required=False)
    legal_rep_last_name = forms.CharField(label="Nom", required=False)
    legal_rep_email = forms.CharField(label="Adresse électronique", required=False)
    legal_rep_phone = forms.CharField(label="Téléphone", required=False)

    GROUPS = (
        ("Entreprise", ("company_name", "company_id")),
        (
            "Responsable habilité (titulaire du compte)",
            (
                "responsible_first_name",
                "responsible_last_name",
                "responsible_email",
                "responsible_phone",
            ),
        ),
        (
            "Mandataire social (représentant légal)",
            ("legal_rep_first_name", "legal_rep_last_name", "legal_rep_email", "legal_rep_phone"),
        ),
    )

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]


def registration_request(request):
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_registration(data=form.cleaned_data)
        except services.RegistrationInvalid as exc:
            for field, message in exc.errors.items():
                form.add_error(field, message)
        else:
            return redirect("accounts:registration-sent")
    return render(
        request, "accounts/registration.html", {"form": form}, status=400 if form.errors else 200
    )


def registration_sent(request):
    return render(request, "accounts/registration_sent.html")


def support_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.manages_accounts:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@support_required
def registration_queue(request):
    pending = RegistrationRequest.objects.filter(status=RegistrationStatus.PENDING)
    return render(request, "accounts/registration_queue.html", {"pending": pending[:200]})


@support_required
@require_POST
def registration_decide(request, pk):
    registration = get_object_or_404(RegistrationRequest, pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            services.approve_registration(registration, by=request.user)
            messages.success(
                request,
                f"Compte ouvert pour {registration.company_name} ; "
                "le responsable a reçu un lien pour choisir son mot de passe.",
            )
        else:
            services.reject_registration(
                registration, by=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(
                request,
                f"Demande de {registration.company_name} refusée ; le demandeur en est informé.",
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:registration-queue")
