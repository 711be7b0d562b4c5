"""Products and applications (candidatures) (R-APP-1 … R-APP-8, R-REF-6)."""

from django.db import models
from django.db.models import Q, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from guichet.common.workflow import (
    AppendOnlyQuerySet,
    StateProtectedModel,
    StateProtectedQuerySet,
)


class OrganisationScopedQuerySet(StateProtectedQuerySet):
    def visible_to(self, user):
        """The one door to an organisation's data (R-ACT-1): every page and endpoint looks its
        objects up here, so that another organisation's object answers 404. Agency roles see
        all, an applicant its organisation's."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_agency:
            return self
        if not user.organisation_id:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class Product(models.Model):
    """A digital health product of an organisation; it is certified version by version."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("nom commercial"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = OrganisationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("produit")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="product_name_unique"),
        ]

    def __str__(self):
        return self.name


class ProductModule(models.Model):
    """A module (component) of the product, with its own version (R-APP-4)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="modules")
    name = models.CharField(_("nom du module"), max_length=255)
    version = models.CharField(_("version"), max_length=64)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("module")
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.name} {self.version}"


class Status(models.TextChoices):
    """The application's states; its transitions are declared in workflow.py."""

    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Recevabilité en cours d'examen")
    TO_FIX = "to_fix", _("Éléments à corriger")
    ADMISSIBLE = "admissible", _("Recevable")
    NOT_ADMISSIBLE = "not_admissible", _("Non recevable")
    COMPLETE = "complete", _("Dossier complet — en attente d'instruction")
    IN_INSTRUCTION = "in_instruction", _("En instruction")
    INFORMATION_REQUESTED = "information_requested", _("Information demandée au candidat")
    MISSING_ITEMS = "missing_items", _("Pièces manquantes demandées")
    INSTRUCTION_FINISHED = "instruction_finished", _("Instruction terminée — en attente du collège")
    SILENTLY_ACCEPTED = "silently_accepted", _("Acceptée tacitement (délai légal dépassé)")
    GRANTED = "granted", _("Certification attribuée")
    GRANTED_WITH_RESERVATIONS = (
        "granted_with_reservations",
        _("Certification attribuée sous réserve"),
    )
    REFUSED = "refused", _("Certification refusée")
    ABANDONED = "abandoned", _("Réputée abandonnée")
    ARCHIVED = "archived", _("Archivée par l'agence")


# Named groups of states (the rule in a word).
# Under instruction: the legal clock runs or is stopped, the agency acts (R-CLK-2 … R-CLK-5).
INSTRUCTION_STATES = (
    Status.IN_INSTRUCTION,
    Status.INFORMATION_REQUESTED,
    Status.MISSING_ITEMS,
    Status.INSTRUCTION_FINISHED,
)
# The committee decided (R-DEC-1 … R-DEC-3); an appeal may follow with a new decision.
DECIDED_STATES = (Status.GRANTED, Status.GRANTED_WITH_RESERVATIONS, Status.REFUSED)
# Ended for good: nothing more happens to the application.
CLOSED_STATES = (Status.NOT_ADMISSIBLE, Status.ABANDONED, Status.ARCHIVED)
# Ended without a certificate: the applicant may file a new application for the same product
# version, which may start from this one (R-APP-9, DMN and TLC guides §5.2: « devra alors déposer
# une nouvelle candidature »). A refusal stays one even if an appeal may follow.
ENDED_STATES = (*CLOSED_STATES, Status.REFUSED)


# The admissibility review's item for the profile choice (R-REF-8).
PROFILES_ITEM = "profiles"


class Application(StateProtectedModel):
    """One product version against one referential version, through one pathway (R-APP-1)."""

    reference = models.CharField(_("référence"), max_length=32, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="applications"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    product_version = models.CharField(_("version certifiée"), max_length=64)
    referential_version = models.ForeignKey(
        "referentials.ReferentialVersion", on_delete=models.PROTECT, related_name="applications"
    )
    pathway = models.ForeignKey(
        "referentials.Pathway", on_delete=models.PROTECT, related_name="applications"
    )
    pathology = models.ForeignKey(
        "referentials.Pathology",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    # R-CRT-3, CSP R. 1470-11: the certified application (of an earlier version of the
    # referential) whose certificate this one renews on a new version, when the agency chose
    # to ask only the requirements new or changed since it; empty: the whole dossier.
    evidence_basis = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("candidature certifiée de référence"),
    )
    # R-REF-7: on the generic line, a product may claim several pathologies; `pathology` is the
    # first, and each claimed one's technical specification applies.
    pathologies = models.ManyToManyField(
        "referentials.Pathology",
        blank=True,
        related_name="claimed_by",
        verbose_name=_("pathologies revendiquées"),
    )
    status = models.CharField(
        _("état"), max_length=32, choices=Status.choices, default=Status.DRAFT
    )
    form = models.JSONField(_("formulaire de recevabilité"), default=dict, blank=True)
    answers = models.JSONField(_("réponses au questionnaire"), default=dict, blank=True)
    profiles = models.JSONField(_("profils"), default=list, blank=True)
    is_group = models.BooleanField(_("groupement sans personnalité morale"), default=False)
    group_members = models.JSONField(_("membres du groupement"), default=list, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    review_round = models.PositiveIntegerField(_("tour d'examen"), default=0)
    decided_at = models.DateTimeField(_("recevabilité décidée le"), null=True, blank=True)
    decision_reasons = models.TextField(_("motifs"), blank=True)
    # Assigned by the agency when the dossier is complete (R-CLK-1): the lead and the others;
    # they read the sensitive proofs (R-EVD-3).
    lead_instructor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="led_applications",
        null=True,
        blank=True,
        verbose_name=_("instructeur référent"),
    )
    instructors = models.ManyToManyField(
        "accounts.User", related_name="instructed_applications", blank=True
    )
    evidence_complete_at = models.DateTimeField(
        _("dossier complet le"), null=True, blank=True, db_index=True
    )
    acknowledgment = models.ForeignKey(
        "files.StoredFile", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The ended application this one was filed again from (R-APP-9); one new application each,
    # so that the applications of a product version form one chain.
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="next_application",
        null=True,
        blank=True,
        verbose_name=_("candidature précédente"),
    )

    objects = OrganisationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidature")
        ordering = ["-created_at", "-id"]
        constraints = [
            # R-APP-1, R-APP-9: one open application per product version and referential
            # version; the ended ones (ENDED_STATES) stay beside it with their history.
            models.UniqueConstraint(
                fields=["product", "product_version", "referential_version"],
                condition=~Q(status__in=ENDED_STATES),
                name="one_open_application_per_product_version",
                violation_error_message=_(
                    "Une candidature est déjà en cours pour cette version du produit et cette "
                    "version du référentiel."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="application_status_known",
                violation_error_message=_("État de candidature inconnu."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.product.name} {self.product_version}"

    @property
    def profiles_final(self) -> bool:
        """R-REF-6: the profile choice is final once the admissibility form is submitted, unless
        the instructor asked for its correction (R-REF-8), until the next submission."""
        return self.submitted_at is not None and not self.profiles_reopened

    @property
    def evidence_since(self):
        """R-CRT-3: (version, profiles, pathologies) of the certified application whose
        unchanged requirements are not asked again, or None (the whole dossier)."""
        basis = self.evidence_basis
        if basis is None:
            return None
        return (basis.referential_version, basis.profiles or [], basis.claimed_pathologies)

    @property
    def claimed_pathologies(self) -> list:
        """R-REF-7: every pathology the application claims on the generic line (one or more
        generic lines), the first one first; empty on another pathway."""
        if self.pathology_id is None:  # another pathway: no query
            return []
        # Read once per instance (Django's prefetch cache, which refresh_from_db and the
        # manager's set() clear), as the pages ask several times.
        prefetch_related_objects([self], "pathologies")
        claimed = sorted(self.pathologies.all(), key=lambda p: (p.position, p.pk))
        return [self.pathology, *(p for p in claimed if p.pk != self.pathology_id)]

    @property
    def profiles_reopened(self) -> bool:
        """R-REF-8: in this round of corrections, the instructor asked for the profiles'."""
        if self.status != Status.TO_FIX:
            return False
        if "latest_profiles_verdict" in self.__dict__:  # read with the list (selectors)
            return self.latest_profiles_verdict == Verdict.TO_FIX
        latest = (
            self.verdicts.filter(item=PROFILES_ITEM, round=self.review_round)
            .order_by("-at", "-id")
            .values_list("verdict", flat=True)
            .first()
        )
        return latest == Verdict.TO_FIX

    @property
    def has_ended(self) -> bool:
        """Ended without a certificate (R-APP-9)."""
        return self.status in ENDED_STATES


class AdmissibilityDocument(models.Model):
    """A file deposited for one document of the admissibility form (R-APP-5, R-APP-6). A
    withdrawn file stays in the history."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    item = models.CharField(_("document"), max_length=64)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    names_version = models.CharField(
        _("version du produit décrite"),
        max_length=64,
        blank=True,
        help_text=_("La version du produit que le document décrit (R-APP-4)."),
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("document de recevabilité")
        ordering = ["item", "created_at"]

    def __str__(self):
        return f"{self.application.reference} — {self.item}"


class Verdict(models.TextChoices):
    CONFORME = "conforme", _("Conforme")
    TO_FIX = "to_fix", _("À redéposer / à préciser")


class AdmissibilityVerdict(models.Model):
    """The instructor's opinion on one field or document of the form (R-APP-8); the latest
    per item counts, the earlier ones stay as history."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="verdicts")
    item = models.CharField(_("élément"), max_length=96)
    verdict = models.CharField(_("avis"), max_length=16, choices=Verdict.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    round = models.PositiveIntegerField(_("tour d'examen"), default=1)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("avis de recevabilité")
        ordering = ["application", "item", "at", "id"]

    def __str__(self):
        return f"{self.item} : {self.verdict}"


class ApplicationTransition(models.Model):
    """The transition log (append-only): every move of an application, who made it, when and
    why. The dated event source of the legal clock (R-CLK-2)."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="transitions"
    )
    name = models.CharField(_("transition"), max_length=64)
    source = models.CharField(_("état de départ"), max_length=32, choices=Status.choices)
    target = models.CharField(_("état d'arrivée"), max_length=32, choices=Status.choices)
    # RESTRICT: a person who acted is never deleted (traceability); empty for the platform.
    by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("le"))
    reason = models.TextField(_("motif"), blank=True)
    # For a missing-items notice: the date they must come by (R-CLK-5).
    due = models.DateField(_("échéance"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("transition de candidature")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["application", "at"], name="application_transition_at"),
            # The dashboard's key: the last decision (guichet.dashboard.selectors).
            models.Index(fields=["target", "id"], name="application_transition_target"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.name} {self.source}→{self.target}"
