"""Instruction under the legal clock (R-CLK-1 … R-CLK-9, R-EVD-2): verdicts on proofs,
information requests, missing-items notices, the INS test day, and the clock's state as the
daily sweep last saw it."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ProofOpinion(models.TextChoices):
    """The instructor's verdict on an expected proof (R-EVD-2, DMN §5.2, TLC §5.2)."""

    CONFORME = "conforme", _("Conforme")
    NON_CONFORME = "non_conforme", _("Non conforme")
    A_PRECISER = "a_preciser", _("À préciser")


class ProofVerdict(models.Model):
    """One verdict on one expected proof of an application; the latest counts, the earlier
    ones stay as history. A verdict judges the files the proof had when it was given
    (`judged_files`): once a file of the proof is added or replaced, the proof is to be judged
    again (R-EVD-2)."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="proof_verdicts"
    )
    proof = models.ForeignKey(
        "referentials.ExpectedProof", on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(_("avis"), max_length=16, choices=ProofOpinion.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField(_("le"), auto_now_add=True)
    # The proof's current files when the verdict was given: [{"evidence_file", "file", "name",
    # "sha256"}], in the order of their deposit.
    judged_files = models.JSONField(_("fichiers examinés"), default=list, blank=True)

    class Meta:
        verbose_name = _("avis sur une preuve")
        ordering = ["application", "proof", "at", "id"]
        indexes = [models.Index(fields=["application", "proof", "at"], name="proof_verdict_latest")]

    def __str__(self):
        return f"{self.application_id} preuve {self.proof_id} : {self.verdict}"

    @property
    def judged_file_ids(self) -> frozenset[int]:
        return frozenset(entry["evidence_file"] for entry in self.judged_files)


class InformationRequest(models.Model):
    """A *sollicitation* (R-CLK-3): the instructor asks, naming the proofs concerned; the
    applicant answers on the platform, with new files on exactly those proofs."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="information_requests"
    )
    number = models.PositiveIntegerField(_("numéro"))
    text = models.TextField(_("demande"))
    proofs = models.ManyToManyField(
        "referentials.ExpectedProof", related_name="+", blank=True, verbose_name=_("preuves")
    )
    # A section sent back (R-EVD-1) is a request on that section's proofs.
    section = models.ForeignKey(
        "referentials.Section", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(_("notifiée le"))
    answer = models.TextField(_("réponse"), blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'information")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="one_number_per_information_request"
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""),
                name="information_request_answer_has_text",
                violation_error_message=_("Une réponse a un texte."),
            ),
        ]

    def __str__(self):
        return f"{self.application_id} — demande n° {self.number}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class MissingItemsNotice(models.Model):
    """The list of missing items notified with its deadline (R-CLK-5): DMN at least 10 days,
    TLC 60 days; past it without the items, the application is deemed abandoned."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="missing_items_notices"
    )
    items = models.JSONField(_("pièces manquantes"), default=list)
    proofs = models.ManyToManyField(
        "referentials.ExpectedProof", related_name="+", blank=True, verbose_name=_("preuves")
    )
    due = models.DateField(_("à fournir avant le"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(_("notifiée le"))
    answer = models.TextField(_("réponse"), blank=True)
    received_by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    received_at = models.DateTimeField(_("reçues le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification de pièces manquantes")
        ordering = ["application", "created_at", "id"]

    def __str__(self):
        return f"{self.application_id} — pièces manquantes avant le {self.due}"

    @property
    def is_open(self) -> bool:
        return self.received_at is None


class ExchangeFile(models.Model):
    """A file attached to a request, a notice, or their answers (streamed, type-checked)."""

    class Side(models.TextChoices):
        AGENCY = "agency", _("de l'agence")
        APPLICANT = "applicant", _("du candidat")

    request = models.ForeignKey(
        InformationRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    notice = models.ForeignKey(
        MissingItemsNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    side = models.CharField(_("de"), max_length=16, choices=Side.choices)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("pièce jointe d'un échange")
        constraints = [
            models.CheckConstraint(
                condition=Q(request__isnull=False, notice__isnull=True)
                | Q(request__isnull=True, notice__isnull=False),
                name="exchange_file_has_one_exchange",
            )
        ]

    def __str__(self):
        return str(self.file_id)


class DayAgreement(models.TextChoices):
    """Where the coordination of the test day's date stands (R-CLK-8: « en coordination avec
    l'ANS »): the applicant's proposal awaits the agency, the agency's the applicant; once one
    side accepts the other's date, it is confirmed."""

    PROPOSED = "proposed", _("Proposée par le candidat, à confirmer par l'agence")
    AGENCY_PROPOSED = "agency_proposed", _("Autre date proposée par l'agence")
    CONFIRMED = "confirmed", _("Confirmée")


class AttendeeSide(models.TextChoices):
    """Who attends the test day (R-CLK-8): an agency representative, possibly an external
    expert, and the applicant's participants."""

    AGENCY = "agency", _("Représentant de l'agence")
    EXPERT = "expert", _("Expert externe")
    APPLICANT = "applicant", _("Participant du candidat")


class InsTestDay(models.Model):
    """The INS test day (R-CLK-8): the applicant proposes it within 4 weeks of depositing
    every proof, the agency confirms it or proposes another date; on the day or after, the
    instructor records who attended, the test environment and the outcome of each INS
    scenario."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="ins_test_day"
    )
    day = models.DateField(_("date proposée"))
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    proposed_at = models.DateTimeField(_("proposée le"), auto_now_add=True)
    note = models.TextField(_("précisions"), blank=True)
    agreement = models.CharField(
        _("coordination de la date"),
        max_length=16,
        choices=DayAgreement.choices,
        default=DayAgreement.PROPOSED,
    )
    agency_note = models.TextField(_("précisions de l'agence"), blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    # [{"side": AttendeeSide, "name": …, "role": …}], in the order given.
    attendees = models.JSONField(_("participants"), default=list, blank=True)
    environment = models.TextField(_("environnement de test"), blank=True)
    attendance_by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    attendance_at = models.DateTimeField(_("participants enregistrés le"), null=True, blank=True)

    class Meta:
        verbose_name = _("journée de tests INS")
        constraints = [
            models.CheckConstraint(
                condition=~Q(agreement="confirmed") | Q(confirmed_at__isnull=False),
                name="ins_test_day_confirmed_has_date",
                violation_error_message=_("Une date confirmée a sa date de confirmation."),
            )
        ]

    def __str__(self):
        return f"{self.application_id} — {self.day}"


class ScenarioOutcome(models.TextChoices):
    PASSED = "passed", _("Résultat atteint")
    FAILED = "failed", _("Résultat non atteint")


class InsScenarioResult(models.Model):
    test_day = models.ForeignKey(InsTestDay, on_delete=models.PROTECT, related_name="results")
    scenario = models.ForeignKey(
        "referentials.Scenario", on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("résultat"), max_length=16, choices=ScenarioOutcome.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField(_("le"), auto_now=True)

    class Meta:
        verbose_name = _("résultat d'un scénario INS")
        constraints = [
            models.UniqueConstraint(fields=["test_day", "scenario"], name="one_result_per_scenario")
        ]

    def __str__(self):
        return f"{self.scenario_id} : {self.outcome}"


class ClockState(models.Model):
    """The legal clock as last computed (after each transition and by the daily sweep), for the
    queue's filters and order; the pages compute the clock from the log. The deadline is kept
    while the clock runs (a stopped DMN clock's deadline moves each day: its frozen days left
    are kept instead). The flags are kept as « ,name,name, » so that a filter is a plain
    `contains`."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="clock_state"
    )
    deadline = models.DateField(_("échéance"), null=True, blank=True, db_index=True)
    running = models.BooleanField(_("le délai court"), default=False)
    paused_reason = models.TextField(_("motif de suspension"), blank=True)
    frozen_days_left = models.IntegerField(_("jours restants (suspendu)"), null=True, blank=True)
    flags = models.CharField(_("signaux"), max_length=255, blank=True, default="")
    computed_on = models.DateField(_("calculé le"))
    # The first day this clock may read differently without a new event (a flag raised, the
    # deadline passed: deadlines.next_change); the daily sweep looks again at it on that day.
    next_check = models.DateField(_("à revoir le"), null=True, blank=True, db_index=True)
    # The day the current stop began (deadlines.paused_since), while the dossier is open: the
    # dashboard lists the clocks stopped for more than 20 days (DMN guide §5.2).
    paused_since = models.DateField(_("suspendu depuis le"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("état du délai")

    def __str__(self):
        return f"{self.application_id} — {self.deadline}"

    @property
    def flag_set(self) -> frozenset[str]:
        return frozenset(f for f in self.flags.split(",") if f)


class Reminder(models.Model):
    """A reminder sent once (R-CLK-4: 10 and 20 days without an answer)."""

    request = models.ForeignKey(
        InformationRequest, on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(_("relance"), max_length=32)
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("relance")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_reminder_per_kind")
        ]

    def __str__(self):
        return f"{self.request_id} {self.kind}"
