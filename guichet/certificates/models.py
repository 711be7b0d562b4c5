"""Certificates of conformity (R-CRT-1 … R-CRT-9) and the public register (R-PUB-1).

A certificate is issued once per granted decision (or, for TLC in 2024, as an exceptional
certificate: R-CRT-4). Its state (valid, suspended, withdrawn, expired) moves only through its
workflow (`certificates.workflow`); every change after issuance is a new revision with its
reason and date, and the PDF of each revision is sealed by the agency. Numbers are allocated
per referential and year from a counter row, in the issuing transaction: gapless, and unique
under concurrent issuance."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.common.workflow import (
    AppendOnlyQuerySet,
    StateProtectedModel,
    StateProtectedQuerySet,
)
from guichet.deadlines import french_date


class Status(models.TextChoices):
    VALID = "valid", _("Valide")
    SUSPENDED = "suspended", _("Suspendu")
    WITHDRAWN = "withdrawn", _("Retiré")
    EXPIRED = "expired", _("Expiré")


class Kind(models.TextChoices):
    STANDARD = "standard", _("Certificat de conformité")
    # TLC, arrêté du 9 février 2024 art. 3 (R-CRT-4): from 2024-07-01, on the domains INS, Pro
    # Santé Connect, Annuaire santé, PGSSI-S and administration, plus a commitment; it expires
    # on 2024-12-31 whatever happens.
    EXCEPTIONAL = "exceptional", _("Certificat de conformité exceptionnel")


class WithdrawalGround(models.TextChoices):
    """Why a certificate is withdrawn and its convention terminated (R-CRT-5, R-CRT-6)."""

    BY_RIGHT = "by_right", _("Résiliation de plein droit (article 14 de la convention)")
    FRAUD = "fraud", _("Résiliation pour fraude (article 15 de la convention)")
    FAULT_INACCURATE = (
        "fault_inaccurate",
        _("Faute (article 16) : informations du dossier inexactes"),
    )
    FAULT_NOT_CONFORME = (
        "fault_not_conforme",
        _("Faute (article 16) : le produit n'est pas ou plus conforme aux exigences"),
    )
    FAULT_NO_SERVICE = (
        "fault_no_service",
        _("Faute (article 16) : pas de service régulier aux utilisateurs"),
    )
    FAULT_MISUSE = (
        "fault_misuse",
        _("Faute (article 16) : utilisation du certificat contraire à son indivisibilité"),
    )
    FAULT_OBSTRUCTION = (
        "fault_obstruction",
        _("Faute (article 16) : obstacle au droit de contrôle de l'agence"),
    )
    FAULT_BREACHES = (
        "fault_breaches",
        _("Faute (article 16) : manquements graves ou répétés aux obligations"),
    )
    NON_CONFORMITY = (
        "non_conformity",
        _("Non-conformité non corrigée à l'issue de la mise en demeure (CSP R. 1470-9)"),
    )
    HOLDER_TERMINATION = "holder_termination", _("Résiliation de la convention à son terme")


class StrikeOffGround(models.TextChoices):
    """DMN guide §6.2 (R-CRT-7): why the agency asks to strike the product off the LPPR/LATM."""

    NO_NEW_CERTIFICATE = (
        "no_new_certificate",
        _(
            "Aucun nouveau certificat sollicité dans le délai après une évolution du référentiel "
            "(CSS R. 162-85)"
        ),
    )
    RENEWAL_FAILED = "renewal_failed", _("Le renouvellement du certificat n'a pas pu s'effectuer")
    AUDIT_FAILED = (
        "audit_failed",
        _("L'audit n'a pas permis de vérifier le respect des référentiels"),
    )


class NumberCounter(models.Model):
    """The last certificate number given per referential and year (R-CRT-1)."""

    referential = models.CharField(_("référentiel"), max_length=16)
    year = models.PositiveSmallIntegerField(_("année"))
    last = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de numéros de certificat")
        constraints = [
            models.UniqueConstraint(fields=["referential", "year"], name="one_counter_per_year"),
        ]

    def __str__(self):
        return f"{self.referential} {self.year} : {self.last}"


class CertificateQuerySet(StateProtectedQuerySet):
    def public(self):
        """What the register shows: every certificate ever issued (R-PUB-1)."""
        return self.select_related("referential_version__referential")


class Certificate(StateProtectedModel):
    number = models.CharField(_("numéro"), max_length=32, unique=True)
    referential_code = models.CharField(_("référentiel"), max_length=16)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang"))
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices, default=Kind.STANDARD)
    status = models.CharField(
        _("état"), max_length=16, choices=Status.choices, default=Status.VALID
    )
    # One certificate of each kind per application: a TLC dossier may hold the exceptional
    # certificate of 2024 (R-CRT-4) while its instruction goes on, then its standard one.
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="certificates"
    )
    decision = models.OneToOneField(
        "committee.Decision",
        on_delete=models.PROTECT,
        related_name="certificate",
        null=True,
        blank=True,
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="certificates"
    )
    referential_version = models.ForeignKey(
        "referentials.ReferentialVersion", on_delete=models.PROTECT, related_name="certificates"
    )
    # What the certificate states, copied at issuance (and at a version update): the public
    # register and the verification page read these, never the application's private data.
    company_name = models.CharField(_("titulaire"), max_length=255)
    company_id = models.CharField(_("SIREN ou TVA"), max_length=32, blank=True)
    operator_contact = models.CharField(
        _("coordonnées de l'exploitant"), max_length=255, blank=True
    )
    product_name = models.CharField(_("produit"), max_length=255)
    product_version = models.CharField(_("version"), max_length=64)
    modules = models.JSONField(_("modules"), default=list, blank=True)  # [{"name", "version"}]
    profiles = models.JSONField(_("profils"), default=list, blank=True)  # [{"code", "label"}]
    pathway = models.CharField(_("démarche"), max_length=255, blank=True)
    reservations = models.JSONField(_("réserves"), default=list, blank=True)
    issued_on = models.DateField(_("délivré le"))
    # The current term (R-CRT-2): the convention's, 5 years, renewed tacitly at its end.
    term_start = models.DateField(_("début de la période de validité"))
    valid_until = models.DateField(_("valable jusqu'au"))
    renewals = models.PositiveSmallIntegerField(_("reconductions"), default=0)
    # The holder (or the agency) gave notice: no tacit renewal at the end of the term.
    renewal_stopped_on = models.DateField(_("non-reconduction notifiée le"), null=True, blank=True)
    # R-CRT-2 (issue 22 §2): the term end (valid_until) whose reminder the holder received, so
    # that the daily sweep sends it once per term.
    term_reminded_for = models.DateField(_("rappel du terme envoyé pour le"), null=True, blank=True)
    # CSP R. 1470-7: the date of the next periodic check, where the approving arrêté sets one.
    next_check = models.DateField(_("prochain contrôle"), null=True, blank=True)
    revision = models.PositiveSmallIntegerField(_("révision"), default=1)
    pdf = models.ForeignKey(
        "files.StoredFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdf_sha256 = models.CharField(_("empreinte SHA-256 du PDF"), max_length=64, blank=True)
    # The last change of state: when, why (shown in the register, R-CRT-6).
    status_changed_on = models.DateField(_("état depuis le"), null=True, blank=True)
    status_reason = models.TextField(_("motif"), blank=True)
    withdrawal_ground = models.CharField(
        _("fondement du retrait"), max_length=32, choices=WithdrawalGround.choices, blank=True
    )
    # CSP R. 1470-9: a withdrawal may take effect up to 6 months after its notice; the day it
    # was notified (decided) is stated beside the day it takes effect.
    withdrawal_notified_on = models.DateField(_("retrait notifié le"), null=True, blank=True)
    withdrawal_effective_on = models.DateField(_("retrait effectif le"), null=True, blank=True)
    # TLC (R-CRT-8): the approval filed with the ministry, then the FINESS number.
    approval_filed_on = models.DateField(_("agrément demandé le"), null=True, blank=True)
    finess = models.CharField(_("numéro FINESS"), max_length=9, blank=True)
    # TLC guide §7.2: the approval is withdrawn when the certificate could not be renewed.
    approval_withdrawn_on = models.DateField(_("agrément supprimé le"), null=True, blank=True)
    # DMN (R-CRT-7): the agency's request to strike the product off the LPPR/LATM.
    strike_off_requested_on = models.DateField(_("radiation demandée le"), null=True, blank=True)
    strike_off_ground = models.CharField(
        _("motif de la radiation"), max_length=32, choices=StrikeOffGround.choices, blank=True
    )
    # R-CRT-3: a new referential version in force; the holder must ask for a new certificate
    # by this date (DMN telesurveillance: 15 days; TLC: the arrêté's delay).
    new_certificate_due = models.DateField(
        _("nouveau certificat à solliciter avant le"), null=True, blank=True
    )
    new_version_notified = models.ForeignKey(
        "referentials.ReferentialVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The sweep told the agency that `new_certificate_due` passed (once).
    new_certificate_overdue_on = models.DateField(
        _("délai du nouveau certificat signalé le"), null=True, blank=True
    )
    # Changed whenever what the register shows changes (ETag, Last-Modified, the feed).
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True, db_index=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificat de conformité")
        verbose_name_plural = _("certificats de conformité")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["referential_code", "year", "sequence"], name="one_number_per_rank"
            ),
            models.UniqueConstraint(
                fields=["application", "kind"], name="one_certificate_of_each_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="certificate_status_term"),
            models.Index(fields=["organisation", "status"], name="certificate_holder"),
            # The register's order (R-PUB-1): its pages and exports read the index, no sort.
            models.Index(fields=["-issued_on", "-id"], name="certificate_register_order"),
        ]

    def __str__(self):
        return f"{self.number} — {self.product_name} {self.product_version}"

    @property
    def standing(self):
        """Its state in dates and French words, as every output says it
        (certificates.standing)."""
        from guichet.certificates.standing import Standing

        return Standing.of(self)


class CertificateTransition(models.Model):
    """The certificate's transition log (append-only), as the applications'."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="transitions"
    )
    name = models.CharField(_("transition"), max_length=64)
    source = models.CharField(_("état de départ"), max_length=16, choices=Status.choices)
    target = models.CharField(_("état d'arrivée"), max_length=16, choices=Status.choices)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("le"))
    reason = models.TextField(_("motif"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("transition de certificat")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.name} ({self.source} → {self.target})"


class RevisionKind(models.TextChoices):
    ISSUED = "issued", _("Délivrance")
    RENEWED = "renewed", _("Reconduction tacite")
    VERSION_UPDATED = "version_updated", _("Mise à jour de la version du produit")
    RESERVATIONS_LIFTED = "reservations_lifted", _("Levée des réserves")
    # R-DEC-2: one reservation of an « attribution sous réserve » lifted, or found not lifted
    # at its deadline.
    RESERVATION_LIFTED = "reservation_lifted", _("Levée d'une réserve")
    RESERVATION_FAILED = "reservation_failed", _("Réserve non levée à l'échéance")
    SUSPENDED = "suspended", _("Suspension")
    REINSTATED = "reinstated", _("Levée de la suspension")
    WITHDRAWAL_SCHEDULED = "withdrawal_scheduled", _("Retrait notifié")
    # A withdrawal notified for a later day, cancelled by the agency before that day.
    WITHDRAWAL_CANCELLED = "withdrawal_cancelled", _("Annulation du retrait notifié")
    WITHDRAWN = "withdrawn", _("Retrait")
    EXPIRED = "expired", _("Expiration")
    RENEWAL_STOPPED = "renewal_stopped", _("Non-reconduction notifiée")
    # R-CRT-2: the notice of non-renewal withdrawn before the term (issue 22 §2).
    RENEWAL_RESTORED = "renewal_restored", _("Non-reconduction annulée")
    # A second grant on appeal (R-DEC-2): the certificate stays, its reservations follow the
    # decision on appeal.
    APPEAL = "appeal", _("Décision sur recours")
    # CSP R. 1470-7: a periodic check moves the date of the next one the certificate states.
    CONTROLLED = "controlled", _("Contrôle périodique")


class CertificateRevision(models.Model):
    """A version of the certificate: the issued one (1), then one per change, with its reason,
    its date, what the certificate said then, and its sealed PDF (R-CRT-1, issue 13 §1)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveSmallIntegerField(_("révision"))
    kind = models.CharField(_("changement"), max_length=32, choices=RevisionKind.choices)
    reason = models.TextField(_("motif"), blank=True)
    effective_on = models.DateField(_("date"))
    at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.RESTRICT, related_name="+", null=True, blank=True
    )
    status = models.CharField(_("état"), max_length=16, choices=Status.choices)
    snapshot = models.JSONField(_("contenu"), default=dict)
    pdf = models.ForeignKey(
        "files.StoredFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdf_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("révision de certificat")
        ordering = ["certificate", "number"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "number"], name="one_revision_number"),
        ]

    def __str__(self):
        return f"Révision {self.number} — {self.get_kind_display()}"


class NoticeKind(models.TextChoices):
    # CSP R. 1470-9 (R-CRT-5): take corrective measures or present observations, ≤ 6 months.
    NON_CONFORMITY = "non_conformity", _("Mise en demeure de corriger des non-conformités")
    # Convention art. 15 (R-CRT-6): present observations before a withdrawal for fraud.
    FRAUD = "fraud", _("Mise en demeure de présenter ses observations (fraude)")


class FormalNotice(models.Model):
    """A mise en demeure sent to the holder, with its deadline (at most 6 months)."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="formal_notices"
    )
    kind = models.CharField(_("nature"), max_length=32, choices=NoticeKind.choices)
    text = models.TextField(_("non-conformités ou faits relevés"))
    issued_on = models.DateField(_("notifiée le"))
    deadline = models.DateField(_("échéance"))
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    closed_on = models.DateField(_("close le"), null=True, blank=True)
    outcome = models.TextField(_("suite donnée"), blank=True)
    # Closed as fixed (True), as not fixed (False); None while open.
    fixed = models.BooleanField(_("corrigé"), null=True, blank=True)
    # The certificate was suspended with the notice, until the non-conformities are fixed.
    suspends = models.BooleanField(_("suspension jusqu'à correction"), default=False)
    # The sweep told the agency that the deadline passed (once).
    overdue_on = models.DateField(_("échéance dépassée signalée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mise en demeure")
        ordering = ["-issued_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.issued_on}"


class FormalNoticeAnswer(models.Model):
    """The holder's answer to a formal notice, on the platform (issue 22 §2; CSP R. 1470-9 I:
    « prendre des mesures correctrices ou … présenter ses observations »): a text and files,
    sent to the agency. Several may follow one another while the notice is open."""

    notice = models.ForeignKey(FormalNotice, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("réponse"))
    answered_on = models.DateField(_("répondue le"))
    # RESTRICT: a person who acted is never deleted (traceability).
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("réponse à une mise en demeure")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text=""),
                name="formal_notice_answer_has_text",
                violation_error_message=_("Une réponse a un texte."),
            )
        ]

    def __str__(self):
        return f"Réponse du {self.answered_on} à {self.notice}"


class FormalNoticeAnswerFile(models.Model):
    """A file joined to an answer to a formal notice (streamed, type-checked)."""

    answer = models.ForeignKey(FormalNoticeAnswer, on_delete=models.PROTECT, related_name="files")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("pièce jointe d'une réponse à une mise en demeure")
        ordering = ["id"]

    def __str__(self):
        return str(self.file_id)


class ExceptionalCommitment(models.Model):
    """TLC (R-CRT-4, arrêté du 9 février 2024): the applicant's commitment to full conformity
    by the end of the exceptional period, given on its application page before the agency
    may issue the exceptional certificate."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("engagement"))
    until = models.DateField(_("conformité complète au plus tard le"))
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField(_("pris le"), auto_now_add=True)

    class Meta:
        verbose_name = _("engagement de mise en conformité")

    def __str__(self):
        return f"Engagement du {french_date(self.at)}"


class Control(models.Model):
    """A check of a certified product (CSP R. 1470-7 periodic, R. 1470-8 at any time): its
    report is sent to the holder and kept with the certificate (R-CRT-5)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="controls")
    periodic = models.BooleanField(_("contrôle périodique"), default=False)
    held_on = models.DateField(_("réalisé le"))
    conclusion = models.TextField(_("conclusions"))
    conforme = models.BooleanField(_("conforme"))
    report = models.ForeignKey(
        "files.StoredFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("contrôle")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"Contrôle du {self.held_on}"


class SubscriptionScope(models.TextChoices):
    COMPANY = "company", _("Un titulaire")
    REFERENTIAL = "referential", _("Un référentiel")


class RegisterSubscription(models.Model):
    """Someone who follows the register's changes by email, for one company or one
    referential (R-PUB-1): confirmed by a link, cancellable by another."""

    email = models.EmailField(_("adresse électronique"))
    scope = models.CharField(_("suivi"), max_length=16, choices=SubscriptionScope.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    referential_code = models.CharField(_("référentiel"), max_length=16, blank=True)
    token = models.CharField(_("jeton"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("résilié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement au registre")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="company", organisation__isnull=False)
                    | models.Q(scope="referential") & ~models.Q(referential_code="")
                ),
                name="subscription_has_its_subject",
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_scope_display()})"


class CertificateStep(models.Model):
    """A step after the certificate that its referential version lists
    (`after_certificate_steps`, R-CRT-7: DMN's listing request to the ministers, copy to the
    commission and the CNP, and the CNEDiMTS dossier, DMN guide §2, §5.3), recorded by the holder
    or the agency with the day it happened, within the certificate's life."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="steps")
    code = models.CharField(_("étape"), max_length=64)
    label = models.CharField(_("libellé"), max_length=300)
    done_on = models.DateField(_("le"))
    # RESTRICT: a person who acted is never deleted (traceability).
    by = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    recorded_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("étape après le certificat")
        ordering = ["done_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "code"],
                name="one_record_per_step",
                violation_error_message=_("Cette étape est déjà enregistrée."),
            )
        ]

    def __str__(self):
        return f"{self.label} ({self.done_on})"


class MinisterNotice(models.Model):
    """R-CRT-5: the notice to the ministers that a certificate ends (DMN: CSS R. 165-5-3, « il
    met fin au certificat … et en informe les ministres chargés de la santé et de la sécurité
    sociale »; TLC: CSP R. 1470-9), dated, its PDF sealed by the agency by the task worker."""

    class Event(models.TextChoices):
        WITHDRAWN = "withdrawn", _("Retrait")
        EXPIRED = "expired", _("Expiration")
        # The ministers told of a withdrawal notified for a later day learn of its cancellation.
        WITHDRAWAL_CANCELLED = "withdrawal_cancelled", _("Annulation du retrait")
        # DMN guide §6.2 (R-CRT-7): the agency asks them to strike the product off the list.
        STRIKE_OFF = "strike_off", _("Demande de radiation de la LPPR / LATM")

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="minister_notices"
    )
    event = models.CharField(_("fin"), max_length=24, choices=Event.choices)
    ended_on = models.DateField(_("fin du certificat le"))
    sent_on = models.DateField(_("informés le"))
    recipients = models.JSONField(_("destinataires"), default=list)
    text = models.TextField(_("texte"))
    pdf = models.ForeignKey(
        "files.StoredFile", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("information des ministres")
        ordering = ["sent_on", "id"]
        constraints = [
            # A withdrawal notified, cancelled, then notified again for another day: each told.
            models.UniqueConstraint(
                fields=["certificate", "event", "ended_on"], name="one_minister_notice_per_end"
            )
        ]

    def __str__(self):
        return f"{self.get_event_display()} — {self.sent_on}"


class LookupWindow(models.Model):
    """The public lookups of one client IP under one limit (R-CRT-9, issue 24 §1): how many
    since the window opened, and when it closes. One upsert per lookup counts every limit at
    once, where the database cache took two dozen queries (its lock, read, write and cull)."""

    key = models.CharField(_("adresse et limite"), max_length=200, primary_key=True)
    hits = models.PositiveIntegerField(_("consultations"))
    ends = models.FloatField(_("fin de la fenêtre (horodatage Unix)"), db_index=True)

    class Meta:
        verbose_name = _("fenêtre de consultations")

    def __str__(self):
        return f"{self.key} : {self.hits}"
