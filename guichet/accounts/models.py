from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
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
    def is_agency_admin(self) -> bool:
        return self.is_active and self.role == Role.AGENCY_ADMIN
