"""Evidence deposited per requirement section (R-EVD-1 … R-EVD-4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SectionState(models.TextChoices):
    OPEN = "open", _("Dépôt en cours")
    SUBMITTED = "submitted", _("Soumise")


class EvidenceSection(models.Model):
    """A requirement section of the application's evidence (R-EVD-1): submitted on its own,
    then read-only to the applicant until the instructor sends it back."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="evidence_sections"
    )
    section = models.ForeignKey("referentials.Section", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("état"), max_length=16, choices=SectionState.choices, default=SectionState.OPEN
    )
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    returned_at = models.DateTimeField(_("renvoyée le"), null=True, blank=True)
    return_comment = models.TextField(_("motif du renvoi"), blank=True)

    class Meta:
        db_table = "applications_evidencesection"  # created there before the app was split
        verbose_name = _("section de preuves")
        constraints = [
            models.UniqueConstraint(fields=["application", "section"], name="one_state_per_section")
        ]

    def __str__(self):
        return f"{self.application.reference} — {self.section.code}"


class EvidenceFile(models.Model):
    """A file deposited for an expected proof (R-EVD-2); a replaced file stays in the history."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="evidence_files"
    )
    proof = models.ForeignKey(
        "referentials.ExpectedProof", on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    names_version = models.CharField(
        _("version du produit décrite"),
        max_length=64,
        blank=True,
        help_text=_("La version du produit que la preuve décrit (R-APP-4)."),
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    replaced_at = models.DateTimeField(_("remplacé le"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        db_table = "applications_evidencefile"  # created there before the app was split
        verbose_name = _("fichier de preuve")
        ordering = ["proof", "created_at", "id"]
        indexes = [
            models.Index(fields=["application", "proof"], name="application_applica_321d60_idx")
        ]

    def __str__(self):
        return f"{self.application.reference} — preuve {self.proof_id}"
