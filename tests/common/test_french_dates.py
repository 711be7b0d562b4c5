"""Dates in French on every page (docs/habitudes-des-pages.md): the template filters, and no
template that writes a date as digits for people to read."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Template

PARIS = ZoneInfo("Europe/Paris")


def render(source: str, **values) -> str:
    return Template(source).render(Context(values))


def test_a_day_reads_in_words_with_the_first_of_the_month_as_1er():
    assert render("{{ d|french_date }}", d=dt.date(2027, 3, 1)) == "1er mars 2027"
    assert render("{{ d|french_date }}", d=dt.date(2026, 12, 25)) == "25 décembre 2026"
    assert render('{{ d|french_date:"jour" }}', d=dt.date(2027, 3, 1)) == "lundi 1er mars 2027"
    assert render('{{ d|french_date|default:"—" }}', d=None) == "—"


def test_a_moment_reads_in_paris_time():
    utc = dt.datetime(2026, 11, 30, 23, 5, 9, tzinfo=dt.UTC)  # 1 December in Paris
    assert render("{{ m|french_datetime }}", m=utc) == "1er décembre 2026 à 0 h 05"
    assert render("{{ m|french_date }}", m=utc) == "1er décembre 2026"
    summer = dt.datetime(2027, 7, 14, 9, 30, tzinfo=PARIS)
    assert render('{{ m|french_datetime:"secondes" }}', m=summer) == (
        "14 juillet 2027 à 9 h 30 min 00 s"
    )


def test_no_template_writes_a_date_in_digits_for_people_to_read():
    """`|date:"Y-m-d"` stays for the values of date inputs; « 29/11/2026 » or « 2026-11-29 »
    shown as text are not ours."""
    digits = re.compile(r"""\|date:["'](?!Y-m-d["'])[^"']*[dmyY][/.-][^"']*["']""")
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for path in Path(settings.BASE_DIR, "guichet").rglob("*.html")
        for match in digits.finditer(path.read_text())
    ]
    assert found == []
