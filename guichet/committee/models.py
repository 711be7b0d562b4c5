"""The collège technique (R-DEC-1 … R-DEC-3): weekly sessions, their members (agency staff who
took part in the instruction, and partners), the agenda, and the decisions with their letters."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.common.errors import ApplicationError


class Body(models.TextChoices):
    """Who sits at the collège (DMN guide §5.3: CNDA, GIE SESAM-Vitale, CNAM, HAS; TLC §5.4:
    the same without the HAS)."""

    ANS = "ans", _("Agence du numérique en santé")
    CNDA = "cnda", _("CNDA")
    SESAM_VITALE = "sesam_vitale", _("GIE SESAM-Vitale")
    CNAM = "cnam", _("CNAM")
    HAS = "has", _("HAS")


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    HELD = "held", _("Tenue")


class CommitteeSession(models.Model):
    date = models.DateField(_("date"), unique=True)
    status = models.CharField(
        _("état"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("séance du collège technique")
        ordering = ["date"]

    def __str__(self):
        return f"Collège du {self.date}"


class SessionMember(models.Model):
    """A member of a session: an agent (with an account) or a partner, by name and body."""

    session = models.ForeignKey(CommitteeSession, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("nom"), max_length=255)
    body = models.CharField(_("organisme"), max_length=32, choices=Body.choices)
    present = models.BooleanField(_("présent"), default=True)

    class Meta:
        verbose_name = _("membre du collège")
        ordering = ["session", "body", "name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_seat_per_agent"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_body_display()})"


class AgendaItem(models.Model):
    """A dossier on a session's agenda; moved to a later session with a reason."""

    session = models.ForeignKey(CommitteeSession, on_delete=models.CASCADE, related_name="agenda")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveIntegerField(_("rang"), default=0)
    added_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    moved_to = models.ForeignKey(
        CommitteeSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moved_reason = models.TextField(_("motif du report"), blank=True)

    class Meta:
        verbose_name = _("dossier à l'ordre du jour")
        ordering = ["session", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "application"], name="once_per_agenda"),
        ]

    def __str__(self):
        return f"{self.session_id} — {self.application_id}"


class Outcome(models.TextChoices):
    GRANTED = "granted", _("Attribution de la certification")
    GRANTED_WITH_RESERVATIONS = (
        "granted_with_reservations",
        _("Attribution de la certification sous réserve"),
    )
    REFUSED = "refused", _("Non-attribution de la certification")
    # R-CRT-4 (TLC guide §5.4): on the listed domains, the instruction going on for the rest.
    EXCEPTIONAL = "exceptional", _("Attribution du certificat exceptionnel")


class Ground(models.TextChoices):
    INSTRUCTION = "instruction", _("Après instruction")
    SILENT_ACCEPTANCE = "silent_acceptance", _("Acceptation tacite (délai légal dépassé)")
    APPEAL = "appeal", _("Sur recours")


# What may still be written on a signed-off decision: what comes after it (its sealed letter),
# never what was decided.
AFTER_SIGN_OFF = frozenset({"letter"})


class SignedOff(ApplicationError):
    """A signed-off decision was about to be changed (R-DEC-2: final once signed off)."""

    def __init__(self):
        super().__init__(
            "Une décision arrêtée ne se modifie plus : une nouvelle décision (sur recours) peut "
            "la suivre, qui la nomme.",
            extra={"status": 409},
        )


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) - AFTER_SIGN_OFF and self.filter(signed_off_at__isnull=False).exists():
            raise SignedOff
        return super().update(**kwargs)

    def delete(self):
        if self.filter(signed_off_at__isnull=False).exists():
            raise SignedOff
        return super().delete()


class Decision(models.Model):
    """The collège's decision on one dossier. Recorded, then signed off: from then on it is
    never edited, only followed by a new decision (an appeal outcome) that names it."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="decisions"
    )
    session = models.ForeignKey(
        CommitteeSession, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    outcome = models.CharField(_("décision"), max_length=32, choices=Outcome.choices)
    ground = models.CharField(
        _("fondement"), max_length=32, choices=Ground.choices, default=Ground.INSTRUCTION
    )
    reasons = models.TextField(_("motifs"), blank=True)
    reservations = models.JSONField(_("réserves"), default=list, blank=True)
    decided_on = models.DateField(_("date de la décision"))
    votes_for = models.PositiveSmallIntegerField(_("voix pour"), default=0)
    votes_against = models.PositiveSmallIntegerField(_("voix contre"), default=0)
    abstentions = models.PositiveSmallIntegerField(_("abstentions"), default=0)
    members_present = models.JSONField(_("membres présents"), default=list, blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followed_by"
    )
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    recorded_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)
    signed_off_by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("arrêtée le"), null=True, blank=True)
    # The sealed letter (R-DEC-3), produced by the task worker once signed off.
    letter = models.ForeignKey(
        "files.StoredFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A granted decision calls certificates.issue(decision) (next issue); until it exists, the
    # decision records that a certificate is due.

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("décision du collège")
        ordering = ["application", "decided_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="refused") | ~Q(reasons=""),
                name="refusal_states_its_reasons",
                violation_error_message=_("Un refus énonce ses motifs."),
            ),
            models.CheckConstraint(
                condition=~Q(outcome="granted_with_reservations") | ~Q(reservations=[]),
                name="reservations_are_listed",
                violation_error_message=_("Une attribution sous réserve liste ses réserves."),
            ),
        ]

    def __str__(self):
        return f"{self.application_id} — {self.get_outcome_display()} ({self.decided_on})"

    def save(self, *args, **kwargs):
        """Refuses any change to a decision already signed off in the database, but for what
        follows it (AFTER_SIGN_OFF, named in `update_fields`)."""
        if not self._state.adding and self.pk is not None:
            fields = kwargs.get("update_fields")
            changes_what_was_decided = fields is None or set(fields) - AFTER_SIGN_OFF
            if (
                changes_what_was_decided
                and Decision.objects.filter(pk=self.pk, signed_off_at__isnull=False).exists()
            ):
                raise SignedOff
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if (
            self.pk is not None
            and Decision.objects.filter(pk=self.pk, signed_off_at__isnull=False).exists()
        ):
            raise SignedOff
        return super().delete(*args, **kwargs)

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class ReservationStatus(models.TextChoices):
    PENDING = "pending", _("À lever")
    LIFTED = "lifted", _("Levée")
    FAILED = "failed", _("Non levée à l'échéance")


class Reservation(models.Model):
    """One reservation of an « attribution sous réserve » (R-DEC-2, TLC guide §5.4: a system
    that « n'est pas conforme à toutes les exigences obligatoires »): a non-conformity, the proof
    it bears on when it comes from one, and the deadline by which the holder lifts it. What the
    collège decided (text, proof, deadline) is fixed once the decision is signed off; the
    certificate's acts then record its lifting or its failure (`certificates.lifecycle`)."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="reservation_items"
    )
    position = models.PositiveSmallIntegerField(_("rang"))
    proof = models.ForeignKey(
        "referentials.ExpectedProof",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("réserve"))
    deadline = models.DateField(_("à lever au plus tard le"))
    lifted_on = models.DateField(_("levée le"), null=True, blank=True)
    failed_on = models.DateField(_("constatée non levée le"), null=True, blank=True)
    settled_reason = models.TextField(_("constat"), blank=True)

    class Meta:
        verbose_name = _("réserve")
        ordering = ["decision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "position"], name="one_reservation_rank"),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(failed_on__isnull=True),
                name="reservation_lifted_or_failed",
                violation_error_message=_("Une réserve est levée ou non levée, pas les deux."),
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def status(self) -> str:
        if self.lifted_on:
            return ReservationStatus.LIFTED
        if self.failed_on:
            return ReservationStatus.FAILED
        return ReservationStatus.PENDING

    @property
    def status_label(self) -> str:
        return ReservationStatus(self.status).label

    @property
    def is_pending(self) -> bool:
        return self.status == ReservationStatus.PENDING
