"""Referentials as data (R-REF-1): referential → version → sections → requirements →
scenarios → expected proofs; profiles, their rules and the questionnaire belong to a version."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Referential(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("nom"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("référentiel")

    def __str__(self):
        return self.code


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")
    RETIRED = "retired", _("Retirée")


# States the public may read.
PUBLIC_STATES = (VersionState.PUBLISHED, VersionState.RETIRED)


class ReferentialVersionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(state__in=PUBLIC_STATES)

    def open_for_applications(self):
        """Only a published version takes new applications (a retired one is still shown)."""
        return self.filter(state=VersionState.PUBLISHED)

    def visible_to(self, user):
        if user.is_authenticated and getattr(user, "is_agency", False):
            return self.all()
        return self.public()


class ReferentialVersion(models.Model):
    referential = models.ForeignKey(Referential, on_delete=models.PROTECT, related_name="versions")
    number = models.CharField(_("version"), max_length=32)
    state = models.CharField(
        _("état"), max_length=16, choices=VersionState.choices, default=VersionState.DRAFT
    )
    entry_into_force = models.DateField(_("date d'entrée en vigueur"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("importée le"), auto_now_add=True)
    # What differs between referentials in the process (see process.py).
    process = models.JSONField(_("réglages de la procédure"), default=dict, blank=True)
    # A new value on every write to the version's content (sections, profiles, requirements,
    # scenarios, proofs, rules, specifications): in-process caches of that content are keyed by
    # it, so none serves stale data whichever process wrote (see selectors.version_index). A
    # random token rather than a counter: a rolled-back creation may hand its id to another
    # version, which a counter restarting at 1 would not tell apart.
    content_revision = models.UUIDField(
        _("révision du contenu"), default=uuid.uuid4, editable=False
    )

    objects = ReferentialVersionQuerySet.as_manager()

    class Meta:
        ordering = ["referential__code", "-imported_at"]
        verbose_name = _("version de référentiel")
        constraints = [
            models.UniqueConstraint(
                fields=["referential", "number"],
                name="unique_version_per_referential",
                violation_error_message=_("Cette version du référentiel existe déjà."),
            )
        ]

    def __str__(self):
        return f"{self.referential.code} V{self.number}"

    @property
    def label(self) -> str:
        return f"{self.referential.code} V{self.number}"

    @property
    def process_settings(self):
        from guichet.referentials.process import ProcessSettings

        return ProcessSettings.from_data(self.process)


class Section(models.Model):
    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="sections"
    )
    code = models.CharField(_("code"), max_length=32)
    label = models.CharField(_("libellé"), max_length=255)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_section_code"),
        ]

    def __str__(self):
        return f"{self.code} — {self.label}"


class Profile(models.Model):
    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="profiles"
    )
    code = models.CharField(_("code"), max_length=64)
    label = models.CharField(_("libellé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_profile_code"),
            models.UniqueConstraint(fields=["version", "label"], name="unique_profile_label"),
        ]

    def __str__(self):
        return self.label


class Nature(models.TextChoices):
    MUST = "DOIT", _("DOIT (exigence)")
    SHOULD = "DEVRAIT", _("DEVRAIT (préconisation)")


class Requirement(models.Model):
    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="requirements"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="requirements")
    code = models.CharField(_("identifiant"), max_length=32)
    statement = models.TextField(_("énoncé"))
    nature = models.CharField(_("nature"), max_length=8, choices=Nature.choices)
    bloc = models.CharField(_("bloc"), max_length=255, blank=True)
    function = models.CharField(_("fonction"), max_length=255, blank=True)
    is_example = models.BooleanField(
        _("exemple à remplacer"),
        default=False,
        help_text=_("Énoncé d'exemple, à remplacer par l'import officiel de l'agence."),
    )
    position = models.PositiveIntegerField(_("ordre"), default=0)
    profiles = models.ManyToManyField(Profile, related_name="requirements")
    specification = models.ForeignKey(
        "TechnicalSpecification",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="requirements",
        verbose_name=_("spécification technique"),
        help_text=_(
            "Exigence d'une spécification technique de ligne générique (HAS1…) : elle ne "
            "s'applique qu'aux candidatures qui visent la pathologie correspondante (R-REF-7)."
        ),
    )

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_requirement_code"),
        ]
        indexes = [models.Index(fields=["version", "position"])]

    def __str__(self):
        return self.code


class Scenario(models.Model):
    version = models.ForeignKey(ReferentialVersion, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="scenarios")
    code = models.CharField(_("numéro"), max_length=32)
    text = models.TextField(_("scénario de conformité"))
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["requirement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_scenario_code"),
        ]

    def __str__(self):
        return self.code


class ExpectedProof(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="proofs")
    position = models.PositiveSmallIntegerField(_("numéro de preuve"))
    description = models.TextField(_("description"))
    sensitive = models.BooleanField(
        _("sensible"),
        default=False,
        help_text=_("Stockée chiffrée, lisible du seul candidat et des instructeurs (R-EVD-3)."),
    )

    class Meta:
        ordering = ["scenario", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "position"], name="unique_proof_position"),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=3),
                name="proof_position_1_to_3",
                violation_error_message=_("Un scénario compte de 1 à 3 preuves attendues."),
            ),
        ]

    def __str__(self):
        return f"{self.scenario.code} — preuve {self.position}"


class RuleKind(models.TextChoices):
    ALWAYS = "always", _("Toujours sélectionné")
    MANDATORY_WHEN = "mandatory_when", _("Obligatoire selon une réponse")
    REQUIRES = "requires", _("Un profil en exige un autre")
    AT_LEAST_ONE_OF = "at_least_one_of", _("Au moins un profil parmi")
    EXACTLY_ONE_OF = "exactly_one_of", _("Exactement un profil parmi")
    OPTIONAL = "optional", _("Optionnel")
    WARNING = "warning", _("Avertissement")


class RuleAudience(models.TextChoices):
    """Who reads a rule's message: a warning may be a note for the agency alone (R-REF-5: the
    guide's ambiguities, « show the agency a warning on such a choice »)."""

    EVERYONE = "all", _("Le candidat et l'agence")
    AGENCY = "agency", _("L'agence seulement")


class ProfileRule(models.Model):
    """One rule of the profile choice; evaluated by `rules.evaluate` (R-REF-4, R-REF-5).

    `condition` is a small JSON expression (see rules.py); `profiles` lists profile codes.
    """

    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="profile_rules"
    )
    code = models.CharField(_("identifiant"), max_length=64)
    kind = models.CharField(_("type"), max_length=32, choices=RuleKind.choices)
    condition = models.JSONField(_("condition"), null=True, blank=True)
    profiles = models.JSONField(_("profils"), default=list)
    message = models.TextField(_("message"))
    audience = models.CharField(
        _("destinataires du message"),
        max_length=16,
        choices=RuleAudience.choices,
        default=RuleAudience.EVERYONE,
    )
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_rule_code"),
            # Only a warning may be kept from the applicant: every other rule explains a refusal
            # or a required profile to them.
            models.CheckConstraint(
                condition=models.Q(audience="all") | models.Q(kind="warning", audience="agency"),
                name="rule_agency_audience_only_for_warnings",
                violation_error_message=_("Seul un avertissement peut être réservé à l'agence."),
            ),
        ]

    def __str__(self):
        return self.code

    def as_data(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "condition": self.condition,
            "profiles": list(self.profiles),
            "message": self.message,
            "audience": self.audience,
        }


class QuestionType(models.TextChoices):
    BOOLEAN = "boolean", _("Oui / non")
    CHOICE = "choice", _("Choix")


class Question(models.Model):
    """A question of the questionnaire that maps a product's answers to profiles."""

    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="questions"
    )
    key = models.CharField(_("clé"), max_length=64)
    type = models.CharField(_("type"), max_length=16, choices=QuestionType.choices)
    label = models.CharField(_("question"), max_length=500)
    help_text = models.TextField(_("aide"), blank=True)
    choices = models.JSONField(_("choix"), default=list, blank=True)
    asked_when = models.JSONField(_("posée si"), null=True, blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_question_key"),
        ]

    def __str__(self):
        return self.key

    def as_data(self) -> dict:
        return {
            "key": self.key,
            "type": self.type,
            "label": self.label,
            "help_text": self.help_text,
            "choices": list(self.choices),
            "asked_when": self.asked_when,
        }


class TechnicalSpecification(models.Model):
    """A technical specification of the guides' Annexe 1 (INS1, PSC1, HAS1…)."""

    version = models.ForeignKey(
        ReferentialVersion, on_delete=models.CASCADE, related_name="specifications"
    )
    code = models.CharField(_("identifiant"), max_length=32)
    title = models.CharField(_("titre"), max_length=500)
    spec_version = models.CharField(_("version"), max_length=128, blank=True)
    link = models.URLField(_("lien"), max_length=500, blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_specification_code"),
        ]

    def __str__(self):
        return self.code


class Pathway(models.Model):
    """A pathway (démarche) of a referential (R-APP-2); the agency opens or closes it."""

    referential = models.ForeignKey(Referential, on_delete=models.CASCADE, related_name="pathways")
    code = models.CharField(_("code"), max_length=32)
    label = models.CharField(_("libellé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    is_open = models.BooleanField(_("ouverte"), default=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["referential", "position"]
        constraints = [
            models.UniqueConstraint(fields=["referential", "code"], name="unique_pathway_code"),
        ]

    def __str__(self):
        return self.label


class Pathology(models.Model):
    """A pathology of the DMN generic line, with its HAS technical specification (R-REF-7)."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="pathologies")
    code = models.CharField(_("code"), max_length=32)
    label = models.CharField(_("libellé"), max_length=255)
    specification_code = models.CharField(_("spécification technique"), max_length=32)
    is_available = models.BooleanField(_("disponible"), default=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["pathway", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pathway", "code"], name="unique_pathology_code"),
        ]

    def __str__(self):
        return self.label


class RuleDraft(models.Model):
    """The « brouillon de règles » of a version: a copy of its profile rules and questionnaire
    that the agency edits and previews before publishing it (issue 10 §3). Candidates keep
    seeing the published rules until then. Each edit keeps the set valid (rules.check_rules)."""

    version = models.OneToOneField(
        ReferentialVersion, on_delete=models.CASCADE, related_name="rule_draft"
    )
    rules = models.JSONField(_("règles"), default=list)
    questions = models.JSONField(_("questionnaire"), default=list)
    # The fingerprint of the published rules the draft was started from: publishing is refused
    # if they changed meanwhile, so that nobody overwrites changes they have not seen.
    base_fingerprint = models.CharField(_("empreinte des règles d'origine"), max_length=64)
    # Bumped by every edit; the publication form carries the revision that was previewed.
    revision = models.PositiveIntegerField(_("révision"), default=1)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("brouillon de règles")

    def __str__(self):
        return f"Brouillon de règles — {self.version}"
