"""What differs between referentials in the process, as data of the version (issue 11 §0):
when the convention is sent, which deadline policy the legal clock applies, the decision
outcomes, the information-request reminders, the missing-items delays, the INS test day. The
catalogue gives each version its `process:`; an import copies the previous version's; the
code reads `version.process_settings` and never asks « is it DMN? »."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

# When the convention is sent for signature.
CONVENTION_AT_ADMISSIBILITY = "at_admissibility"  # DMN guide §4.3: before any evidence
CONVENTION_BEFORE_COMMITTEE = "before_committee"  # TLC guide §5.3: every section conforme
# The partners who may sit at the collège technique (both guides: « CNDA/GIE Sésam Vitale/CNAM »,
# and the HAS for DMN); the same codes as guichet.committee.models.Body.
COMMITTEE_PARTNERS = ("cnda", "sesam_vitale", "cnam", "has")


@dataclass(frozen=True)
class ProcessSettings:
    # The legal clock's policy, a name `guichet.deadlines` knows ("DMN" or "TLC").
    deadline_policy: str = "DMN"
    # R-CLK-2: the decision period (months, then days), when the version sets it — CSP
    # R. 1470-4: « L'arrêté approuvant un référentiel peut […] fixer un délai inférieur » to
    # six months; None for both: the policy's own (DMN 60 days, TLC 6 months).
    decision_months: int | None = None
    decision_days: int | None = None
    convention: str = CONVENTION_AT_ADMISSIBILITY
    # The committee's outcomes (R-DEC-2): TLC adds « attribution sous réserve ».
    decision_outcomes: tuple[str, ...] = ("granted", "refused")
    # The partners who may sit at the collège (guichet.committee.models.Body): DMN guide §5.3
    # names the CNDA, the GIE SESAM-Vitale, the CNAM and the HAS; TLC guide §5.4 the HAS not.
    committee_partners: tuple[str, ...] = COMMITTEE_PARTNERS
    # The decision letter states the routes and deadlines of appeal (R-DEC-3; TLC: CSP
    # R. 1470-4 « avec la mention de ses motifs ainsi que des voies et délais de recours »).
    appeal_routes_in_letter: bool = False
    # Reminders of an unanswered information request, in days (DMN guide §5.2: 10 and 20).
    information_reminders: tuple[int, ...] = (10, 20)
    # The agency may archive an application whose request stayed unanswered this long (30).
    archive_after_no_answer: int | None = 30
    # Missing items: at least this many days to provide them (CSS R. 165-5-2: 10) — or exactly
    # that many when `missing_items_fixed` (CSP R. 1470-2: 60 days).
    missing_items_days: int = 10
    missing_items_fixed: bool = False
    # INS test day within this many weeks of depositing every proof (both guides §5.2), for
    # the scenarios of this catalogue section (« Pour les exigences INS »); "" for none.
    ins_test_day_weeks: int = 4
    ins_section: str = "INS"
    # The admissibility form of the version (R-APP-5, R-APP-6).
    admissibility_form: str = "DMN"
    # --- the certificate's life (issue 13 §3) ---
    # TLC, arrêté du 9 février 2024 (R-CRT-4): {"from": "2024-07-01", "until": "2024-12-31",
    # "sections": [...]}: the period when an exceptional certificate may be issued on these
    # sections alone (plus the applicant's commitment); it expires on `until`. None: no such
    # certificate.
    exceptional_certificate: dict | None = None
    # R-CRT-3: days after a new version's entry into force within which the holders must ask
    # for a new certificate (DMN telesurveillance: 15, CSS R. 162-76 VI; TLC: the delay the
    # approving arrêté sets, R. 1470-11); None: no deadline set. `new_certificate_scope`:
    # "all" holders, or only "telesurveillance" products (LATM, or a generic line).
    new_certificate_days: int | None = None
    new_certificate_scope: str = "all"
    # R-CRT-3, CSP R. 1470-11: the arrêté approving a new version sets « les éléments requis
    # pour établir leur conformité au nouveau référentiel ». "changes": a holder's new
    # application may be asked only the requirements new or changed since its certificate
    # (the agency records that choice); "all": the whole dossier.
    new_version_evidence: str = "all"
    # CSP R. 1470-7 (R-CRT-1): months between periodic checks, when the arrêté sets them.
    periodic_check_months: int | None = None
    # R-CRT-2 (issue 22 §2): days before the end of a certificate's term when its holder is
    # reminded of what happens then (tacit renewal, or expiry after a notice of non-renewal),
    # so that it can still notify, or withdraw, a non-renewal; None: no reminder.
    term_reminder_days: int | None = None
    # DMN guide §6.2 (R-CRT-7): the agency records its request to strike off the LPPR/LATM.
    strike_off_request: bool = False
    # TLC guide §6 (R-CRT-8): the approval filed with the ministry, then the FINESS number.
    approval_steps: bool = False
    # TLC guide §6 (R-CRT-8): the admissibility form's yes/no field that says the holder is a
    # société de téléconsultation (« teleconsultation_company »): the approval and FINESS
    # steps are its only; "" for every holder.
    approval_form_field: str = ""
    # DMN guide §2, §5.3 (R-CRT-7): the steps the holder takes after the certificate, each
    # recorded with its day: [{"code": …, "label": …}] (DMN: the listing request to the
    # ministers, copy to the commission and the CNP; the CNEDiMTS dossier); () for none.
    after_certificate_steps: tuple[dict, ...] = ()
    # R-CRT-5: who the agency informs, by a sealed notice, of every withdrawal or end of a
    # certificate (DMN: CSS R. 165-5-3, « en informe les ministres chargés de la santé et de
    # la sécurité sociale »; TLC: CSP R. 1470-9); () for nobody.
    end_notice_recipients: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def clock_policy(self):
        """The legal clock's policy with this version's decision period (guichet.deadlines)."""
        from guichet.deadlines import policy

        return policy(self.deadline_policy, months=self.decision_months, days=self.decision_days)

    @property
    def convention_before_evidence(self) -> bool:
        return self.convention == CONVENTION_AT_ADMISSIBILITY

    @classmethod
    def from_data(cls, data: dict | None) -> ProcessSettings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        for key in (
            "decision_outcomes",
            "committee_partners",
            "information_reminders",
            "notes",
            "after_certificate_steps",
            "end_notice_recipients",
        ):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    def as_data(self) -> dict:
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def check_process(data: dict | None) -> list[str]:
    """French problems of a `process:` block; empty when it is sound."""
    problems = []
    unknown = set(data or {}) - {f.name for f in fields(ProcessSettings)}
    if unknown:
        problems.append(f"Réglages de procédure inconnus : {', '.join(sorted(unknown))}.")
    try:
        settings = ProcessSettings.from_data(data)
    except (TypeError, ValueError) as exc:
        return [*problems, f"Réglages de procédure invalides : {exc}."]
    if settings.deadline_policy not in {"DMN", "TLC"}:
        problems.append("La politique de délai est « DMN » ou « TLC ».")
    else:
        problems += _decision_period_problems(settings)
    if settings.convention not in {CONVENTION_AT_ADMISSIBILITY, CONVENTION_BEFORE_COMMITTEE}:
        problems.append(
            f"La convention s'envoie « {CONVENTION_AT_ADMISSIBILITY} » ou "
            f"« {CONVENTION_BEFORE_COMMITTEE} »."
        )
    if not set(settings.decision_outcomes) <= {"granted", "granted_with_reservations", "refused"}:
        problems.append("Décisions possibles : granted, granted_with_reservations, refused.")
    if not set(settings.committee_partners) <= set(COMMITTEE_PARTNERS):
        problems.append("Partenaires du collège possibles : " + ", ".join(COMMITTEE_PARTNERS) + ".")
    if not isinstance(settings.appeal_routes_in_letter, bool):
        problems.append("« appeal_routes_in_letter » vaut true ou false.")
    if settings.missing_items_days < 1:
        problems.append("Le délai des pièces manquantes compte au moins un jour.")
    if not isinstance(settings.ins_test_day_weeks, int) or settings.ins_test_day_weeks < 1:
        problems.append("Le délai de la journée de tests INS compte au moins une semaine.")
    if not isinstance(settings.ins_section, str):
        problems.append("La section INS est un code de section (texte), vide s'il n'y en a pas.")
    problems += _certificate_problems(settings)
    return problems


def _decision_period_problems(settings: ProcessSettings) -> list[str]:
    """R-CLK-2: the period is whole months and days, not empty, and never longer than the
    law's (DMN: sixty days, CSS R. 162-76; TLC: six months, CSP R. 1470-4 « un délai
    inférieur »)."""
    import datetime as dt

    from guichet.deadlines import POLICIES, add_months

    values = (settings.decision_months, settings.decision_days)
    if values == (None, None):
        return []
    if not all(
        value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
        for value in values
    ):
        return [
            "« decision_months » et « decision_days » sont des nombres entiers positifs ou nuls."
        ]
    months, days = (value or 0 for value in values)
    if not months and not days:
        return [
            "Le délai de décision (« decision_months », « decision_days ») compte au moins un jour."
        ]
    law = POLICIES[settings.deadline_policy]
    starts = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    if any(
        add_months(start, months) + dt.timedelta(days=days)
        > add_months(start, law.months) + dt.timedelta(days=law.days)
        for start in starts
    ):
        return [
            f"Le délai de décision ne dépasse pas celui de la loi ({law.period_words}) : un "
            "arrêté peut seulement le raccourcir."
        ]
    return []


def exceptional_period(settings: ProcessSettings):
    """(from, until, sections) of the exceptional certificate (R-CRT-4), or None."""
    import datetime as dt

    data = settings.exceptional_certificate
    if not data:
        return None
    return (
        dt.date.fromisoformat(str(data["from"])),
        dt.date.fromisoformat(str(data["until"])),
        tuple(data["sections"]),
    )


def _certificate_problems(settings: ProcessSettings) -> list[str]:
    problems = []
    exceptional = settings.exceptional_certificate
    if exceptional is not None:
        try:
            start, until, sections = exceptional_period(settings)
        except (TypeError, KeyError, ValueError):
            problems.append(
                "« exceptional_certificate » : indiquez « from » et « until » (dates "
                "AAAA-MM-JJ entre guillemets) et « sections » (liste de codes de section)."
            )
        else:
            if until < start:
                problems.append("« exceptional_certificate » : « until » précède « from ».")
            if not sections or not all(isinstance(code, str) for code in sections):
                problems.append("« exceptional_certificate » : « sections » liste des codes.")
    for key in ("new_certificate_days", "periodic_check_months", "term_reminder_days"):
        value = getattr(settings, key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            problems.append(f"« {key} » est un nombre entier positif, ou null.")
    reminder = settings.term_reminder_days
    if isinstance(reminder, int) and not isinstance(reminder, bool) and reminder > 365:
        problems.append(
            "« term_reminder_days » : le rappel avant le terme se fait au plus 365 jours avant."
        )
    if settings.new_certificate_scope not in {"all", "telesurveillance"}:
        problems.append("« new_certificate_scope » vaut « all » ou « telesurveillance ».")
    if settings.new_version_evidence not in {"all", "changes"}:
        problems.append("« new_version_evidence » vaut « all » ou « changes ».")
    for key in ("strike_off_request", "approval_steps"):
        if not isinstance(getattr(settings, key), bool):
            problems.append(f"« {key} » vaut true ou false.")
    steps = settings.after_certificate_steps
    if not all(
        isinstance(step, dict)
        and isinstance(step.get("code"), str)
        and step["code"]
        and isinstance(step.get("label"), str)
        and step["label"]
        for step in steps
    ) or len({step["code"] for step in steps}) != len(steps):
        problems.append(
            "« after_certificate_steps » liste des étapes {code, libellé} aux codes distincts."
        )
    if not all(isinstance(name, str) and name for name in settings.end_notice_recipients):
        problems.append("« end_notice_recipients » liste les destinataires (textes).")
    if not isinstance(settings.approval_form_field, str):
        problems.append("« approval_form_field » est le nom d'un champ du formulaire, ou vide.")
    return problems
