"""The dashboard's tables (issue 12 §3): each figure as a table with French headers, shown on
the page beside its chart and exported as CSV with the same headers (every table of the page
has its CSV). A cell holds a value; the page shows it in French words and dates (R-CLK-9: a
deadline as a date, with the days left), the CSV as a spreadsheet reads it (ISO dates, plain
numbers)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString

from guichet.certificates import term_end
from guichet.certificates.standing import Standing
from guichet.dashboard import selectors
from guichet.dashboard.charts import Series, bar_chart, number
from guichet.deadlines import french_date
from guichet.instruction.queue import days_left_text

LIST_LIMIT = 20  # rows of a list of dossiers on the page; its CSV has them all


@dataclass(frozen=True)
class Link:
    text: str
    url: str

    def csv(self) -> str:
        return self.text


@dataclass(frozen=True)
class DaysLeft:
    """R-CLK-9: « 12 jours restants », « dépassé de 3 jours », « … à la reprise » while the
    clock is stopped."""

    days: int | None
    running: bool

    def __str__(self) -> str:
        if self.days is None:
            return "—"
        text = days_left_text(self.days)
        return text if self.running else f"{text} à la reprise"

    def csv(self) -> int | None:
        return self.days


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: Iterable[list]
    chart: SafeString | None = None
    note: str = ""
    total: int | None = None  # a list shown in part: how many rows there are
    unit: str = "dossiers"  # what a list's rows are, in its caption and its link (plural)
    first: str = "plus urgents"  # which of them a list shown in part shows
    nothing: str = "Aucun dossier."

    @property
    def shown(self) -> list[list]:
        """The rows as the page shows them (French numbers and dates)."""
        return [[show(cell) for cell in row] for row in self.rows]

    @property
    def csv_url(self) -> str:
        return reverse("dashboard:export", args=[self.slug])

    @property
    def partial(self) -> bool:
        return self.total is not None and self.total > LIST_LIMIT


def show(value):
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return french_date(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return number(value)
    return value


def csv_value(value) -> str:
    value = value.csv() if hasattr(value, "csv") else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return number(value).replace("\u202f", "")
    return str(value)


# --- the tables ------------------------------------------------------------------------------


def states_table(counts: selectors.StateCounts) -> Table:
    shown = [row for row in counts.rows if row.total]
    return Table(
        slug="etats",
        title="Dossiers par état et par référentiel",
        headers=["État", *counts.referentials, "Total"],
        rows=[[row.status.label, *row.counts, row.total] for row in counts.rows]
        + [["Total", *counts.totals, counts.total]],
        chart=bar_chart(
            ident="chart-states",
            title="Dossiers par état et par référentiel",
            description="Diagramme en barres du nombre de candidatures dans chaque état (les "
            "états sans candidature sont omis), par référentiel.",
            categories=[row.status.label for row in shown],
            series=[
                Series(code, [row.counts[i] for row in shown])
                for i, code in enumerate(counts.referentials)
            ],
        ),
    )


def risks_table(counts: dict[str, int]) -> Table:
    labels = list(selectors.RISKS.values())
    return Table(
        slug="echeances",
        title="Échéances à surveiller",
        headers=["Signal", "Dossiers"],
        rows=[[selectors.RISKS[kind], counts[kind]] for kind in selectors.RISKS],
        chart=bar_chart(
            ident="chart-risks",
            title="Échéances à surveiller",
            description="Diagramme en barres du nombre de dossiers ouverts dont l'échéance "
            "tombe dans les 7 jours, dont le délai est dépassé, et dont le délai est suspendu "
            f"depuis plus de {selectors.LONG_STOP_DAYS} jours.",
            categories=labels,
            series=[Series("Dossiers", [counts[kind] for kind in selectors.RISKS])],
        ),
    )


RISK_SLUGS = {
    "week": "echeances-7-jours",
    "overdue": "delais-depasses",
    "stopped": f"suspendus-{selectors.LONG_STOP_DAYS}-jours",
}
RISK_HEADERS = [
    "Référence",
    "Produit",
    "Entreprise",
    "Référentiel",
    "État",
    "Échéance",
    "Jours restants",
    "Suspendu depuis le",
    "Jours de suspension",
    "Motif de la suspension",
]


def risk_cells(row: selectors.RiskRow) -> list:
    application = row.application
    return [
        Link(application.reference, reverse("instruction:page", args=[application.pk])),
        f"{application.product.name} {application.product_version}",
        application.organisation.name,
        application.referential_version.label,
        application.get_status_display(),
        row.deadline,
        DaysLeft(row.days_left, row.running),
        row.paused_since,
        row.stopped_days,
        row.reason or None,
    ]


def risk_list_table(kind: str, rows: Iterable[selectors.RiskRow], total: int | None) -> Table:
    notes = {
        "week": "La décision est attendue d'ici 7 jours ; l'échéance la plus proche d'abord.",
        "overdue": "L'échéance légale est passée (ou l'était quand le délai a été suspendu) ; "
        "le plus en retard d'abord.",
        "stopped": "Le délai est suspendu (demande d'information ou pièces manquantes) depuis "
        f"plus de {selectors.LONG_STOP_DAYS} jours : le guide DMN (§5.2) annonce au candidat "
        "un délai supplémentaire ; la plus ancienne suspension d'abord.",
    }
    return Table(
        slug=RISK_SLUGS[kind],
        title=selectors.RISKS[kind],
        headers=RISK_HEADERS,
        # The page's few rows as a list; the CSV's, streamed.
        rows=[risk_cells(row) for row in rows]
        if isinstance(rows, list)
        else (risk_cells(row) for row in rows),
        note=notes[kind],
        total=total,
    )


def times_table(figures: selectors.Timeliness) -> Table:
    return Table(
        slug="durees-instruction",
        title="Durée d'instruction, du dossier complet à la décision (12 derniers mois)",
        headers=["Référentiel", "Dossiers décidés", "Médiane (jours)", "90e centile (jours)"],
        rows=[[row.label, row.decided, row.median, row.p90] for row in figures.rows],
        note="Le 90e centile est la durée en deçà de laquelle neuf dossiers sur dix ont été "
        "décidés.",
    )


def durations_table(figures: selectors.Timeliness) -> Table:
    return Table(
        slug="repartition-durees",
        title="Répartition des durées d'instruction (12 derniers mois)",
        headers=["Durée d'instruction", "Dossiers décidés"],
        rows=[[label, count] for label, count in figures.buckets],
        chart=bar_chart(
            ident="chart-durations",
            title="Répartition des durées d'instruction (12 derniers mois)",
            description="Diagramme en barres du nombre de dossiers décidés selon le nombre de "
            "jours entre le dossier complet et la décision.",
            categories=[label for label, _ in figures.buckets],
            series=[Series("Dossiers décidés", [count for _, count in figures.buckets])],
        ),
    )


def in_time_table(figures: selectors.Timeliness) -> Table:
    return Table(
        slug="delai-legal",
        title="Décisions rendues dans le délai légal (12 derniers mois)",
        headers=[
            "Référentiel",
            "Dossiers décidés",
            "Dans le délai légal",
            "Hors délai",
            "Part dans le délai (%)",
        ],
        rows=[
            [row.label, row.decided, row.in_time, row.late, row.share_in_time]
            for row in figures.rows
        ],
        chart=bar_chart(
            ident="chart-in-time",
            title="Décisions rendues dans le délai légal (12 derniers mois)",
            description="Diagramme en barres, par référentiel, des dossiers décidés au plus "
            "tard à l'échéance légale en vigueur le jour de la décision, et des autres.",
            categories=[row.label for row in figures.rows],
            series=[
                Series("Dans le délai légal", [row.in_time for row in figures.rows]),
                Series("Hors délai", [row.late for row in figures.rows]),
            ],
        ),
        note="L'échéance est celle en vigueur le jour de la décision (suspensions comprises) ; "
        "un dossier décidé sans délai en cours (pièces manquantes attendues, TLC) est compté "
        "dans le délai.",
    )


def sessions_table(rows: list[selectors.SessionRow]) -> Table:
    return Table(
        slug="college",
        title="Séances tenues du collège technique (12 derniers mois)",
        headers=[
            "Séance du",
            "Dossiers à l'ordre du jour",
            "Dossiers décidés",
            "Dossiers reportés à une séance suivante",
        ],
        rows=[[row.date, row.agenda, row.decided, row.moved] for row in rows],
        chart=bar_chart(
            ident="chart-sessions",
            title="Dossiers décidés et reportés par séance du collège technique",
            description="Diagramme en barres, pour chaque séance tenue au cours des 12 derniers "
            "mois, du nombre de dossiers décidés et du nombre de dossiers reportés.",
            categories=[french_date(row.date) for row in rows],
            series=[
                Series("Décidés", [row.decided for row in rows]),
                Series("Reportés", [row.moved for row in rows]),
            ],
        ),
    )


# --- certificates (issue 22 §5) ---------------------------------------------------------------


def certificates_table(counts: selectors.CertificateCounts) -> Table:
    columns = [*counts.referentials, "Certificats exceptionnels"]
    shown = [row for row in counts.rows if row.total]
    return Table(
        slug="certificats",
        title="Certificats par état et par référentiel",
        headers=["État", *columns, "Total"],
        rows=[[row.status.label, *row.counts, row.total] for row in counts.rows]
        + [["Total", *counts.totals, counts.total]],
        chart=bar_chart(
            ident="chart-certificates",
            title="Certificats par état et par référentiel",
            description="Diagramme en barres du nombre de certificats dans chaque état (les "
            "états sans certificat sont omis), par référentiel, les certificats exceptionnels "
            "comptés à part.",
            categories=[row.status.label for row in shown],
            series=[
                Series(name, [row.counts[i] for row in shown]) for i, name in enumerate(columns)
            ],
        ),
        note="Un certificat exceptionnel (TLC, arrêté du 9 février 2024) n'atteste la "
        "conformité qu'à une partie du référentiel : il est compté à part.",
    )


def _certificate_cells(certificate) -> list:
    return [
        Link(certificate.number, reverse("certificates:agency-detail", args=[certificate.number])),
        f"{certificate.product_name} {certificate.product_version}",
        certificate.company_name,
        certificate.referential_version.label,
    ]


CERTIFICATE_HEADERS = ["Certificat", "Produit", "Titulaire", "Référentiel"]


def _rows(make, items) -> Iterable[list]:
    """The page's few rows as a list; the CSV's, streamed."""
    return [make(item) for item in items] if isinstance(items, list) else map(make, items)


def terms_table(certificates: Iterable, today: dt.date, total: int | None) -> Table:
    def cells(certificate) -> list:
        return [
            *_certificate_cells(certificate),
            Standing.of(certificate).summary_words,
            certificate.valid_until,
            DaysLeft((certificate.valid_until - today).days, True),
            term_end.words_of(certificate),
        ]

    return Table(
        slug=f"certificats-echeances-{selectors.SOON_DAYS}-jours",
        title=f"Reconductions et expirations dans les {selectors.SOON_DAYS} jours",
        headers=[
            *CERTIFICATE_HEADERS,
            "État",
            "Fin de la période de validité",
            "Jours restants",
            "À l'échéance",
        ],
        rows=_rows(cells, certificates),
        unit="certificats",
        first="plus proches",
        nothing="Aucun certificat n'arrive à la fin de sa période de validité dans les "
        f"{selectors.SOON_DAYS} jours.",
        note="À la fin de sa période de validité, un certificat est reconduit tacitement, "
        "sauf si sa non-reconduction a été notifiée ou s'il est exceptionnel : il expire "
        "alors. L'échéance la plus proche d'abord.",
        total=total,
    )


def notices_table(notices: Iterable, today: dt.date, total: int | None) -> Table:
    def cells(notice) -> list:
        return [
            *_certificate_cells(notice.certificate),
            notice.get_kind_display(),
            notice.issued_on,
            notice.deadline,
            DaysLeft((notice.deadline - today).days, True),
            notice.suspends,
            Standing.of(notice.certificate).summary_words,
        ]

    return Table(
        slug="mises-en-demeure",
        title="Mises en demeure en cours",
        headers=[
            *CERTIFICATE_HEADERS,
            "Nature",
            "Notifiée le",
            "Échéance",
            "Jours restants",
            "Suspension jusqu'à correction",
            "État du certificat",
        ],
        rows=_rows(cells, notices),
        unit="mises en demeure",
        first="plus urgentes",
        nothing="Aucune mise en demeure en cours.",
        note="Une mise en demeure reste ouverte jusqu'à ce que l'agence la close (non-"
        "conformités corrigées) ou retire le certificat. Les échéances dépassées d'abord, puis "
        "la plus proche.",
        total=total,
    )


def withdrawals_table(certificates: Iterable, today: dt.date, total: int | None) -> Table:
    def cells(certificate) -> list:
        standing = Standing.of(certificate)
        return [
            *_certificate_cells(certificate),
            standing.withdrawal_notified_on,
            standing.withdrawal_effective_on,
            DaysLeft((standing.withdrawal_effective_on - today).days, True),
            standing.ground_label or None,
            standing.summary_words,
        ]

    return Table(
        slug="retraits-notifies",
        title="Retraits notifiés à effet différé",
        headers=[
            *CERTIFICATE_HEADERS,
            "Notifié le",
            "Prend effet le",
            "Jours restants",
            "Motif du retrait",
            "État",
        ],
        rows=_rows(cells, certificates),
        unit="certificats",
        first="plus proches",
        nothing="Aucun retrait notifié à effet différé.",
        note="L'agence peut fixer la prise d'effet d'un retrait jusqu'à six mois après sa "
        "notification, lorsque la prise en charge des patients l'exige (CSP R. 1470-9) ; le "
        "certificat reste valable jusqu'à la veille. La prise d'effet la plus proche d'abord.",
        total=total,
    )


class _Line:
    """A file for csv.writer that hands back the line it was given."""

    def write(self, value):
        return value


# --- the page, and one table for its CSV -----------------------------------------------------


def page_tables(today: dt.date) -> dict[str, Table]:
    """Every table of the page, in a constant number of queries."""
    counts = selectors.state_counts()
    risks = selectors.risk_counts(today)
    figures = selectors.kept_timeliness(today, counts.referentials)
    tables = {
        "states": states_table(counts),
        "risks": risks_table(risks),
    }
    for kind in selectors.RISKS:
        rows = [
            selectors.risk_row(application, today)
            for application in selectors.risk_list(kind, today)[:LIST_LIMIT]
        ]
        tables[kind] = risk_list_table(kind, rows, risks[kind])
    tables |= {
        "times": times_table(figures),
        "durations": durations_table(figures),
        "in_time": in_time_table(figures),
        "sessions": sessions_table(selectors.session_throughput(today)),
    }
    watch = selectors.certificate_watch_counts(today)
    tables |= {
        "certificates": certificates_table(selectors.certificate_counts(counts.referentials)),
        "terms": terms_table(
            list(selectors.terms_ending(today)[:LIST_LIMIT]), today, watch["terms"]
        ),
        "notices": notices_table(
            list(selectors.open_notices()[:LIST_LIMIT]), today, watch["notices"]
        ),
        "withdrawals": withdrawals_table(
            list(selectors.withdrawals_to_come()[:LIST_LIMIT]), today, watch["withdrawals"]
        ),
    }
    return tables


def _timeliness(today: dt.date) -> selectors.Timeliness:
    return selectors.kept_timeliness(today, selectors.state_counts().referentials)


def _risk_list(kind: str) -> Callable[[dt.date], Table]:
    def build(today: dt.date) -> Table:
        applications = selectors.risk_list(kind, today).iterator(chunk_size=2000)
        return risk_list_table(
            kind, (selectors.risk_row(application, today) for application in applications), None
        )

    return build


EXPORTS: dict[str, Callable[[dt.date], Table]] = {
    "etats": lambda today: states_table(selectors.state_counts()),
    "echeances": lambda today: risks_table(selectors.risk_counts(today)),
    **{slug: _risk_list(kind) for kind, slug in RISK_SLUGS.items()},
    "durees-instruction": lambda today: times_table(_timeliness(today)),
    "repartition-durees": lambda today: durations_table(_timeliness(today)),
    "delai-legal": lambda today: in_time_table(_timeliness(today)),
    "college": lambda today: sessions_table(selectors.session_throughput(today)),
    "certificats": lambda today: certificates_table(
        selectors.certificate_counts(selectors.state_counts().referentials)
    ),
    f"certificats-echeances-{selectors.SOON_DAYS}-jours": lambda today: terms_table(
        selectors.terms_ending(today).iterator(chunk_size=2000), today, None
    ),
    "mises-en-demeure": lambda today: notices_table(
        selectors.open_notices().iterator(chunk_size=2000), today, None
    ),
    "retraits-notifies": lambda today: withdrawals_table(
        selectors.withdrawals_to_come().iterator(chunk_size=2000), today, None
    ),
}


def csv_lines(table: Table) -> Iterator[str]:
    """Semicolon-separated, UTF-8 with a BOM (spreadsheet programs then read the accents),
    line by line."""
    writer = csv.writer(_Line(), delimiter=";")
    yield "\ufeff" + writer.writerow(table.headers)
    for row in table.rows:
        yield writer.writerow([csv_value(cell) for cell in row])
