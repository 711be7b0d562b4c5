"""French plurals (issue 19 §2): zero and one take the singular, from 2 on the plural, in Python
(`guichet.common.text.ngettext`) and in every template (the `pluralize` filter in Django's
place); and no text written with « (s) » for people to read."""

import io
import re
import tokenize
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from guichet.common.text import ngettext

# « preuve(s) », « atteint(s) », « correspond(ent) », « nouveau(x) », « notifié(e) »…
HEDGED = re.compile(r"[a-zà-ÿ]\((?:s|e|es|x|ent|nt)\)", re.IGNORECASE)


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "0 candidature"), (1, "1 candidature"), (2, "2 candidatures"), (15, "15 candidatures")],
)
def test_a_count_reads_with_the_french_rule_in_python_and_in_templates(number, expected):
    said = ngettext("%(n)d candidature", "%(n)d candidatures", number) % {"n": number}
    assert said == expected
    shown = Template("{{ n }} candidature{{ n|pluralize }}").render(Context({"n": number}))
    assert shown == expected


def test_the_pluralize_filter_keeps_djangos_forms():
    def render(source, **values):
        return Template(source).render(Context(values))

    assert render('{{ n }} nouveau{{ n|pluralize:"x" }}', n=3) == "3 nouveaux"
    assert render('{{ n }} journ{{ n|pluralize:"al,aux" }}', n=0) == "0 journal"
    assert render("{{ items|length }} preuve{{ items|pluralize }}", items=[1, 2]) == "2 preuves"
    assert render("preuve{{ items|pluralize }}", items=[]) == "preuve"
    assert render("preuve{{ n|pluralize }}", n=1.5) == "preuves"


def _python_strings(path: Path):
    """The string literals of a module; an f-string without its replacement fields (code)."""
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type == tokenize.STRING:
                text = token.string
                if re.match(r"[rRbB]?[fF]", text):
                    text = re.sub(r"\{[^{}]*\}", "", text)
                yield token.start[0], text


def test_no_text_for_people_is_written_with_a_hedged_plural():
    """« preuve(s) » reads as a form to fill, not as a sentence: every count goes through
    ngettext or pluralize (templates, emails, messages and API details alike)."""
    root = Path(settings.BASE_DIR, "guichet")
    found = []
    for path in root.rglob("*"):
        if "migrations" in path.parts or "static" in path.parts or not path.is_file():
            continue
        if path.suffix in (".html", ".txt"):
            for number, line in enumerate(io.StringIO(path.read_text()), start=1):
                found += [f"{path.relative_to(root)}:{number}: {m}" for m in HEDGED.findall(line)]
        elif path.suffix == ".py":
            for number, text in _python_strings(path):
                found += [f"{path.relative_to(root)}:{number}: {m}" for m in HEDGED.findall(text)]
    assert found == []
