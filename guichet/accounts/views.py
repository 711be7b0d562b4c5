from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from guichet.accounts import services
from guichet.accounts.members import invite_member, members_of, remove_member
from guichet.accounts.models import RegistrationRequest, RegistrationStatus, TermsOfUse, User
from guichet.accounts.security import has_totp, revoke_token, token_expiry
from guichet.accounts.terms import accept_terms, current_terms, has_accepted, publish_terms
from guichet.common.access import (
    agency_admin_required,
    applicant_admin_required,
    login_required,
    support_required,
)
from guichet.common.errors import ApplicationError
from guichet.common.lengths import form_field


class RegistrationForm(forms.Form):
    company_name = form_field(RegistrationRequest, "company_name", label="Raison sociale")
    company_id = form_field(
        RegistrationRequest,
        "company_id",
        label="SIREN, SIRET ou numéro de TVA intracommunautaire",
        help_text="Le numéro de TVA intracommunautaire seulement si l'entreprise n'a pas de SIREN.",
    )
    responsible_first_name = form_field(
        RegistrationRequest, "responsible_first_name", label="Prénom"
    )
    responsible_last_name = form_field(RegistrationRequest, "responsible_last_name", label="Nom")
    responsible_email = form_field(
        RegistrationRequest, "responsible_email", label="Adresse électronique"
    )
    responsible_phone = form_field(RegistrationRequest, "responsible_phone", label="Téléphone")
    legal_rep_first_name = form_field(RegistrationRequest, "legal_rep_first_name", label="Prénom")
    legal_rep_last_name = form_field(RegistrationRequest, "legal_rep_last_name", label="Nom")
    legal_rep_email = form_field(
        RegistrationRequest, "legal_rep_email", label="Adresse électronique"
    )
    legal_rep_phone = form_field(RegistrationRequest, "legal_rep_phone", label="Téléphone")

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
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_registration(request, data=form.cleaned_data)
        except services.RegistrationInvalid as exc:
            for field, message in exc.errors.items():
                form.add_error(field, message)
        except services.RegistrationThrottled as exc:
            form.add_error(None, exc.message)
            status, retry_after = 429, exc.retry_after
        else:
            return redirect("accounts:registration-sent")
    if form.errors and status == 200:
        status = 400
    response = render(request, "accounts/registration.html", {"form": form}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def registration_sent(request):
    return render(
        request, "accounts/registration_sent.html", {"received": services.REGISTRATION_RECEIVED}
    )


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


# --- My account (R-ACC-3), terms of use (R-ACC-2), members (R-ACT-1) -------------------------


@login_required
def profile(request):
    user = request.user
    terms = current_terms()
    token_expires_at = token_expiry(user)
    return render(
        request,
        "accounts/profile.html",
        {
            "has_totp": has_totp(user),
            "token_expires_at": token_expires_at,
            "token_expired": token_expires_at is not None and token_expires_at <= timezone.now(),
            "acceptance": user.terms_acceptances.select_related("terms")
            .order_by("-accepted_at")
            .first(),
            "terms": terms,
        },
    )


@login_required
@require_POST
def token_revoke(request):
    if revoke_token(request.user, by=request.user):
        messages.success(
            request, "Votre jeton d'API est révoqué : il ne permet plus d'appeler l'API."
        )
    else:
        messages.info(request, "Vous n'aviez pas de jeton d'API.")
    return redirect("accounts:profile")


class TermsAcceptForm(forms.Form):
    accept = forms.BooleanField(
        label="J'ai lu et j'accepte les conditions générales d'utilisation",
        error_messages={
            "required": "Cochez la case pour accepter les conditions générales d'utilisation."
        },
    )


@login_required
def terms_accept(request):
    terms = current_terms()
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if terms is None or has_accepted(request.user, terms):
        return redirect(target or "home")
    form = TermsAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept_terms(user=request.user, terms=terms)
        messages.success(
            request,
            f"Vous avez accepté les conditions générales d'utilisation (version {terms.version}).",
        )
        return redirect(target or "home")
    previous = request.user.terms_acceptances.exists()
    return render(
        request,
        "accounts/terms_accept.html",
        {"terms": terms, "form": form, "next": target, "previous": previous},
        status=400 if form.errors else 200,
    )


def terms_public(request):
    return render(request, "accounts/terms_public.html", {"terms": current_terms()})


class TermsPublishForm(forms.Form):
    version = form_field(TermsOfUse, "version", label="Numéro de version", help_text="ex. : 2.0")
    text = forms.CharField(label="Texte", widget=forms.Textarea(attrs={"rows": 16}), required=False)


@agency_admin_required
def terms_manage(request):
    form = TermsPublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            terms = publish_terms(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            for field, message in exc.extra.get("errors", {}).items():
                form.add_error(field, message)
        else:
            messages.success(
                request,
                f"Version {terms.version} publiée : chaque utilisateur l'acceptera à sa prochaine visite.",
            )
            return redirect("accounts:terms-manage")
    versions = TermsOfUse.objects.annotate(accepted=Count("acceptances")).select_related(
        "published_by"
    )[:50]
    return render(
        request,
        "accounts/terms_manage.html",
        {"form": form, "versions": versions, "current": current_terms()},
        status=400 if form.errors else 200,
    )


class InviteForm(forms.Form):
    first_name = form_field(User, "first_name", label="Prénom")
    last_name = form_field(User, "last_name", label="Nom")
    # As long as the username column at most, which holds the address too.
    email = form_field(User, "username", label="Adresse électronique", widget=forms.EmailInput)


@applicant_admin_required
def members(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = invite_member(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            for field, message in exc.extra.get("errors", {}).items():
                form.add_error(field, message)
        else:
            messages.success(
                request,
                f"Invitation envoyée à {member.email} : le lien pour choisir un mot de passe est valable "
                f"{settings.PASSWORD_RESET_TIMEOUT // 86400} jours.",
            )
            return redirect("accounts:members")
    return render(
        request,
        "accounts/members.html",
        {"form": form, "members": members_of(request.user.organisation)},
        status=400 if form.errors else 200,
    )


@applicant_admin_required
def member_remove(request, pk):
    member = get_object_or_404(request.user.organisation.members, pk=pk)
    if request.method == "POST":
        try:
            remove_member(by=request.user, member=member)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{member.get_full_name() or member.email} n'a plus accès à Guichet."
            )
        return redirect("accounts:members")
    return render(request, "accounts/member_remove.html", {"member": member})


class SetPasswordView(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    """The link of a new account or an invitation: the password chosen, the login page says
    so (issue 14 §2)."""

    success_message = (
        "Mot de passe enregistré : connectez-vous avec votre adresse électronique et ce mot de "
        "passe."
    )

    def form_valid(self, form):
        response = super().form_valid(form)
        # Such an account has no token yet; a password set by a link ends any all the same,
        # as allauth's reset does (issue 20 §2).
        revoke_token(self.user, by=self.user, reason="password_reset")
        return response
