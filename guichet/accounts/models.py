from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT_ADMIN = "applicant_admin", _("Responsable habilité")
    APPLICANT_MEMBER = "applicant_member", _("Membre de l'organisation")
    SUPPORT = "support", _("Support de l'agence")
    INSTRUCTOR = "instructor", _("Instructeur")
    COMMITTEE = "committee", _("Membre du collège technique")
    AGENCY_ADMIN = "agency_admin", _("Administrateur de l'agence")


# Roles held by agency staff (R-ACT-1: they see every dossier).
AGENCY_ROLES = frozenset({Role.SUPPORT, Role.INSTRUCTOR, Role.COMMITTEE, Role.AGENCY_ADMIN})


class EmailUserManager(UserManager):
    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.AGENCY_ADMIN)
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    """A person; the username is the email address (R-ACC-3)."""

    email = models.EmailField(_("adresse électronique"), unique=True)
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def save(self, *args, **kwargs):
        self.username = self.email
        super().save(*args, **kwargs)

    @property
    def is_agency(self) -> bool:
        return self.is_active and self.role in AGENCY_ROLES

    @property
    def manages_accounts(self) -> bool:
        """Agency support validates company accounts; agency admins may too."""
        return self.is_active and self.role in {Role.SUPPORT, Role.AGENCY_ADMIN}

    @property
    def is_agency_admin(self) -> bool:
        return self.is_active and self.role == Role.AGENCY_ADMIN

    @property
    def is_applicant_admin(self) -> bool:
        """The Responsable habilité, who invites and removes the organisation's members."""
        return self.is_active and self.role == Role.APPLICANT_ADMIN and bool(self.organisation_id)


class Organisation(models.Model):
    """An applicant company, represented by one Responsable habilité (R-ACT-2)."""

    name = models.CharField(_("raison sociale"), max_length=255)
    siren = models.CharField(_("SIREN"), max_length=9, null=True, blank=True, unique=True)
    vat_number = models.CharField(
        _("numéro de TVA intracommunautaire"), max_length=20, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siren__isnull=False) | models.Q(vat_number__isnull=False),
                name="organisation_has_an_identifier",
                violation_error_message=_("Une organisation a un SIREN ou un numéro de TVA."),
            )
        ]

    def __str__(self):
        return self.name


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    APPROVED = "approved", _("Validée")
    REJECTED = "rejected", _("Refusée")


class CompanyIdKind(models.TextChoices):
    SIREN = "siren", _("SIREN")
    SIRET = "siret", _("SIRET")
    VAT = "vat", _("TVA intracommunautaire")


class RegistrationRequest(models.Model):
    """A company account request (R-ACC-1), validated by agency support (R-ACC-2)."""

    status = models.CharField(
        _("état"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.PENDING,
    )
    company_name = models.CharField(_("raison sociale"), max_length=255)
    company_id_kind = models.CharField(
        _("type d'identifiant"), max_length=8, choices=CompanyIdKind.choices
    )
    company_id = models.CharField(_("identifiant de l'entreprise"), max_length=20)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, db_index=True)
    responsible_first_name = models.CharField(_("prénom du responsable"), max_length=150)
    responsible_last_name = models.CharField(_("nom du responsable"), max_length=150)
    responsible_email = models.EmailField(_("courriel du responsable"))
    responsible_phone = models.CharField(_("téléphone du responsable"), max_length=20)
    legal_rep_first_name = models.CharField(_("prénom du mandataire social"), max_length=150)
    legal_rep_last_name = models.CharField(_("nom du mandataire social"), max_length=150)
    legal_rep_email = models.EmailField(_("courriel du mandataire social"))
    legal_rep_phone = models.CharField(_("téléphone du mandataire social"), max_length=20)
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(_("motif du refus"), blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("demande de compte entreprise")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.company_name} ({self.company_id})"


class TermsOfUse(models.Model):
    """A version of the terms of use (CGU), published by the agency (R-ACC-2)."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    text = models.TextField(_("texte"))
    published_at = models.DateTimeField(_("publiée le"), default=timezone.now)
    published_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("version des CGU")
        verbose_name_plural = _("versions des CGU")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return f"CGU {self.version}"


class TermsAcceptance(models.Model):
    """Who accepted which version of the terms, and when (R-ACC-2)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsOfUse, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("acceptée le"), default=timezone.now)

    class Meta:
        verbose_name = _("acceptation des CGU")
        constraints = [
            models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once"),
        ]

    def __str__(self):
        return f"{self.user} — CGU {self.terms.version}"


class TokenUse(models.Model):
    """When an API token was last used: a token unused for `GUICHET_API_TOKEN_IDLE_DAYS`
    expires (issue 20 §2). Recorded at most once an hour, so that a request does not write;
    a token without a row counts from its creation."""

    token = models.OneToOneField(
        "authtoken.Token", on_delete=models.CASCADE, primary_key=True, related_name="use"
    )
    last_used_at = models.DateTimeField(_("dernière utilisation"))

    class Meta:
        verbose_name = _("utilisation d'un jeton d'API")
        verbose_name_plural = _("utilisations des jetons d'API")

    def __str__(self):
        return f"{self.token.user} — {self.last_used_at:%Y-%m-%d %H:%M}"
