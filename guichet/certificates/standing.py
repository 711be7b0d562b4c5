"""What a certificate's state means for its validity, in dates and in French words, the same on
every public output: its PDF, the register's page, CSV, JSON and feed, the verification page
and API (R-CRT-5, R-CRT-6, R-CRT-9, R-PUB-1).

A withdrawn or expired certificate no longer attests anything: none of these outputs shows it a
validity date still to come; each says when it ended — withdrawn (the day it was decided, its
ground, the day it took effect) or expired (the day). A withdrawal notified to take effect later
(CSP R. 1470-9) leaves the certificate valid until the day before it takes effect, and says on
which day it does. A suspended certificate says since when.

Pure: built from a certificate, from a row of the register's values or from a revision's
snapshot, so that the register reads no more than its columns."""

from __future__ import annotations

import dataclasses
import datetime as dt

from guichet.certificates.models import Status, WithdrawalGround
from guichet.deadlines import french_date

LIVE = (Status.VALID, Status.SUSPENDED)
# The state every output shows for a live certificate whose withdrawal is notified for a later
# day (CSP R. 1470-9): « retrait notifié, effectif le … », the same on every page and file.
WITHDRAWAL_NOTIFIED = "withdrawal_notified"
WITHDRAWAL_NOTIFIED_LABEL = "Retrait notifié"
STATES = (*Status.values, WITHDRAWAL_NOTIFIED)
STATE_LABELS = (*(str(label) for label in Status.labels), WITHDRAWAL_NOTIFIED_LABEL)
ENDED = (Status.WITHDRAWN, Status.EXPIRED)
ONE_DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Standing:
    status: str
    issued_on: dt.date
    # The current term's last day (Certificate.valid_until): not what a reader is told once the
    # certificate ended or a withdrawal is notified (see `last_valid_day`).
    term_end: dt.date
    status_since: dt.date | None = None
    withdrawal_ground: str = ""
    withdrawal_notified_on: dt.date | None = None
    withdrawal_effective_on: dt.date | None = None

    @classmethod
    def of(cls, certificate) -> Standing:
        return cls(
            status=certificate.status,
            issued_on=certificate.issued_on,
            term_end=certificate.valid_until,
            status_since=certificate.status_changed_on,
            withdrawal_ground=certificate.withdrawal_ground or "",
            withdrawal_notified_on=certificate.withdrawal_notified_on,
            withdrawal_effective_on=certificate.withdrawal_effective_on,
        )

    @property
    def is_ended(self) -> bool:
        """Withdrawn or expired: the certificate no longer attests the product's conformity."""
        return self.status in ENDED

    @property
    def plainly_valid(self) -> bool:
        """Valid, no withdrawal notified: nothing to tell beside its term."""
        return self.status == Status.VALID and not self.withdrawal_scheduled

    @property
    def withdrawal_scheduled(self) -> bool:
        """A withdrawal notified that has not taken effect yet (CSP R. 1470-9)."""
        return self.status in LIVE and self.withdrawal_effective_on is not None

    @property
    def withdrawn_on(self) -> dt.date | None:
        """The day the withdrawal was decided and notified (an older record: its effect)."""
        return self.withdrawal_notified_on or self.withdrawal_effective_on or self.status_since

    @property
    def ended_on(self) -> dt.date | None:
        """The first day the certificate is no longer valid: the day its withdrawal took
        effect, or the day it expired."""
        if self.status == Status.WITHDRAWN:
            return self.withdrawal_effective_on or self.status_since
        if self.status == Status.EXPIRED:
            return self.status_since
        return None

    @property
    def last_valid_day(self) -> dt.date:
        """The last day the certificate is (or was) valid: the term's end, or the day before a
        withdrawal takes (or took) effect, or before it expired (an exceptional certificate
        superseded before its end date)."""
        end = self.ended_on if self.is_ended else None
        if self.withdrawal_scheduled:
            end = self.withdrawal_effective_on
        if end is None:
            return self.term_end
        return max(self.issued_on, min(self.term_end, end - ONE_DAY))

    @property
    def ground_label(self) -> str:
        if self.withdrawal_ground in WithdrawalGround.values:
            return str(WithdrawalGround(self.withdrawal_ground).label)
        return ""

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label) if self.status in Status.values else self.status

    @property
    def state(self) -> str:
        """The state shown: the workflow's, or « retrait notifié » before a notified
        withdrawal takes effect."""
        return WITHDRAWAL_NOTIFIED if self.withdrawal_scheduled else self.status

    @property
    def state_label(self) -> str:
        return WITHDRAWAL_NOTIFIED_LABEL if self.withdrawal_scheduled else self.status_label

    @property
    def badge(self) -> str:
        """The DSFR badge's colour of the state shown."""
        if self.status == Status.VALID and not self.withdrawal_scheduled:
            return "success"
        if self.status == Status.SUSPENDED or self.withdrawal_scheduled:
            return "warning"
        return "info" if self.status == Status.EXPIRED else "error"

    # --- in words ------------------------------------------------------------------------------

    @property
    def withdrawal_dates(self) -> str:
        """« 1er juin 2027, avec effet le 1er septembre 2027 » (or « avec effet immédiat »)."""
        notified, effective = self.withdrawn_on, self.withdrawal_effective_on
        if notified is None:
            return ""
        if effective is None or effective == notified:
            return f"{french_date(notified)}, avec effet immédiat"
        return f"{french_date(notified)}, avec effet le {french_date(effective)}"

    @property
    def withdrawal_words(self) -> str:
        """« le 1er juin 2027, avec effet le 1er septembre 2027 »."""
        return f"le {self.withdrawal_dates}" if self.withdrawal_dates else ""

    @property
    def detail(self) -> str:
        """The state's dates, after its label: « depuis le 1er juin 2027 » (suspended),
        « le 1er juillet 2027, avec effet immédiat » (withdrawn), « le 4 mars 2032 »
        (expired), « jusqu'au 3 mars 2032 » (valid)."""
        if self.status == Status.WITHDRAWN:
            return self.withdrawal_words
        if self.status == Status.EXPIRED:
            return f"le {french_date(self.status_since)}" if self.status_since else ""
        if self.status == Status.SUSPENDED:
            return f"depuis le {french_date(self.status_since)}" if self.status_since else ""
        return f"jusqu'au {french_date(self.last_valid_day)}"

    @property
    def scheduled_words(self) -> str:
        """A notified withdrawal, before it takes effect: « retrait effectif le 1er septembre
        2027 (notifié le 1er juin 2027) »; empty otherwise."""
        return f"retrait {self.scheduled_detail}" if self.withdrawal_scheduled else ""

    @property
    def scheduled_detail(self) -> str:
        """« effectif le 1er septembre 2027 (notifié le 1er juin 2027) », after « Retrait
        notifié »; empty when no withdrawal is notified."""
        if not self.withdrawal_scheduled:
            return ""
        text = f"effectif le {french_date(self.withdrawal_effective_on)}"
        if self.withdrawal_notified_on:
            text += f" (notifié le {french_date(self.withdrawal_notified_on)})"
        return text

    @property
    def validity(self) -> str:
        """How long the certificate is valid, in a few words (the register's column)."""
        if self.is_ended:
            return f"Plus valable depuis le {french_date(self.ended_on)}" if self.ended_on else "—"
        text = f"Jusqu'au {french_date(self.last_valid_day)}"
        if self.withdrawal_scheduled:
            text += f", {self.scheduled_words}"
        return text

    @property
    def summary(self) -> str:
        """One French sentence: the state, its dates, a withdrawal's ground, e.g. « Retiré le
        1er juillet 2027, avec effet immédiat — Faute (article 16) : informations du dossier
        inexactes. » or « Retrait notifié, effectif le 1er septembre 2027 (notifié le 1er juin
        2027) : valide jusqu'au 31 août 2027 — Faute (article 16) : … »."""
        if self.withdrawal_scheduled:
            text = f"{WITHDRAWAL_NOTIFIED_LABEL}, {self.scheduled_detail} : "
            text += f"{self.status_label.lower()} {self.detail}"
        else:
            text = self.status_label
            if self.detail:
                text += f" {self.detail}"
        if (self.status == Status.WITHDRAWN or self.withdrawal_scheduled) and self.ground_label:
            text += f" — {self.ground_label}"
        return text.rstrip(".") + "."

    @property
    def summary_words(self) -> str:
        """The summary without its final full stop, for a sentence that goes on."""
        return self.summary[:-1]
