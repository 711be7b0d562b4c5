"""Every main page, for each role, in Debian's Chromium at 1280 px and 390 px
(docs/habitudes-des-pages.md): it answers, has its one title, runs without a console error (a
style or script refused by the content security policy is one), is never wider than a phone's
screen, and axe-core finds no serious or critical violation on it. A screenshot of each page at
each width is kept for CI's artefacts, in `GUICHET_CAPTURES_DIR` (by default `var/captures/`)."""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from django.test import Client

from tests.e2e import pages_world
from tests.e2e.threads import off_the_browser_thread

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# axe-core comes with every page of the context (an init script), and runs on demand.
AXE_RUN = "options => axe.run(options)"
# At 1280 px every rule axe-core runs by default (WCAG 2.1 A and AA, best practices); on a phone,
# those whose outcome depends on the layout (a table wider than the screen scrolls, and must be
# reached by keyboard): the others would read the same markup twice, at twice the cost.
AXE_OPTIONS = {
    1280: {"resultTypes": ["violations"]},
    390: {
        "resultTypes": ["violations"],
        "runOnly": ["scrollable-region-focusable", "meta-viewport"],
    },
}
WIDTHS = {"ordinateur": (1280, 800), "telephone": (390, 844)}
SERIOUS = ("serious", "critical")
# The last elements past the screen's edge (those in a box that scrolls included: an absolute
# element there escapes its box when its containing block is outside it): what to look at when a
# page is wider than the screen.
STICKING_OUT = """width => [...document.querySelectorAll("body *")]
  .filter(element => element.getBoundingClientRect().right > width + 1)
  .slice(-3)
  .map(element => `${element.tagName.toLowerCase()}.${element.className}`)"""

# What must be whole on the screen at 1280 px, page by page (issue 19): the instruction queue's
# columns that its scrolling box used to hide, and its badges. Whole: its box inside the
# viewport, nothing of it cut off (scrollWidth <= clientWidth), the main content and the
# table's box no wider than the screen.
WHOLE_AT_1280 = {
    "/agence/instruction/": {
        "columns": ["Instructeur", "Échéance", "Jours restants"],
        "elements": "main table .fr-badge",
    },
}
# An element is whole: its box inside the screen, nothing of it cut off (for CUT_OFF and
# VALUES_CUT, which declare `width` and `faults`).
WHOLE = """
  const whole = (element, name) => {
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height) faults.push(`${name} : invisible`);
    else if (box.left < 0 || box.right > width + 1)
      faults.push(`${name} : hors de l'écran (${Math.round(box.left)} à ${Math.round(box.right)} px)`);
    if (element.scrollWidth > element.clientWidth + 1)
      faults.push(`${name} : coupé (${element.scrollWidth} px pour ${element.clientWidth})`);
  };
"""
CUT_OFF = (
    """({columns, elements}) => {
  const width = window.innerWidth, faults = [];
"""
    + WHOLE
    + """  whole(document.querySelector("main"), "le contenu principal");
  document.querySelectorAll("main .fr-table__container").forEach(box => whole(box, "le cadre du tableau"));
  const table = document.querySelector("main table");
  const heads = table ? [...table.tHead.rows[0].cells] : [];
  const rows = table ? [...table.tBodies[0].rows] : [];
  if (!rows.length) faults.push("aucune ligne à vérifier");
  for (const column of columns) {
    const index = heads.findIndex(th => th.textContent.trim() === column);
    if (index < 0) { faults.push(`colonne « ${column} » absente`); continue; }
    whole(heads[index], `l'en-tête « ${column} »`);
    rows.forEach((row, n) => whole(row.cells[index], `la cellule « ${column} » de la ligne ${n + 1}`));
  }
  const found = [...document.querySelectorAll(elements)];
  if (!found.length) faults.push(`aucun élément ${elements}`);
  found.forEach(element => whole(element, `« ${element.textContent.trim()} » (${elements})`));
  return faults;
}"""
)

# What must read whole on a phone (issue 19): the register's certificates, one card each, and a
# certificate's verification page, where the QR code of its PDF leads — the certificate's
# number, product and state (marked `data-whole` in the templates). Whole: its box inside the
# screen, nothing of it cut off; the main content no wider than the screen.
WHOLE_AT_390 = (
    (re.compile(r"/registre/"), ["numero", "produit", "etat"]),
    (re.compile(r"/certificats/CC-[A-Z0-9-]+/"), ["numero", "produit", "etat"]),
)
VALUES_CUT = (
    """names => {
  const width = window.innerWidth, faults = [];
"""
    + WHOLE
    + """  whole(document.querySelector("main"), "le contenu principal");
  for (const name of names) {
    const found = [...document.querySelectorAll(`main [data-whole="${name}"]`)];
    if (!found.length) faults.push(`aucune valeur « ${name} »`);
    found.forEach(element => whole(element, `« ${element.textContent.trim()} » (${name})`));
  }
  return faults;
}"""
)


# Pages whose tables once clipped whole columns at 1280 px (issue 22 §5: a long header or cell
# that did not wrap pushed « Échéance », « Valable jusqu'au », « Mise en demeure », « Part
# dans le délai » out of the table's box): at 1280 px, each header and cell of each table is
# whole on the screen; at both widths, none is cut off. And the dashboard's charts: their
# labels at least 10 px high on a phone (they were 6 px).
TABLES_WHOLE = (
    re.compile(r"/certificats/CC-[A-Z0-9-]+/gerer/"),
    re.compile(r"/registre/"),
    re.compile(r"/agence/certificats/"),
    re.compile(r"/agence/tableau-de-bord/"),
)
MIN_CHART_TEXT_PX = 10
CELLS_CUT = """onScreen => {
  const width = window.innerWidth, faults = [];
  const whole = (element, name) => {
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height) return;  // a header kept for screen readers only
    if (onScreen && (box.left < 0 || box.right > width + 1))
      faults.push(`${name} : hors de l'écran (${Math.round(box.left)} à ${Math.round(box.right)} px)`);
    if (element.scrollWidth > element.clientWidth + 1)
      faults.push(`${name} : coupé (${element.scrollWidth} px pour ${element.clientWidth})`);
  };
  const tables = [...document.querySelectorAll("main table")];
  if (!tables.length) faults.push("aucun tableau");
  tables.forEach((table, t) => table.querySelectorAll("th, td").forEach(cell =>
    whole(cell, `tableau ${t + 1}, « ${cell.textContent.trim().slice(0, 40)} »`)));
  return faults;
}"""
SMALL_CHART_TEXT = """least => {
  const faults = [];
  document.querySelectorAll("main svg.guichet-chart").forEach(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    svg.querySelectorAll("text").forEach(text => {
      const size = parseFloat(getComputedStyle(text).fontSize) * scale;
      if (size < least) faults.push(`« ${text.textContent} » : ${size.toFixed(1)} px de haut`);
    });
  });
  return faults.slice(0, 5);
}"""


# Every page's screenshot at both widths (`.ci/run` sets GUICHET_CAPTURES=1, for its artefacts);
# else only those of a page found at fault: a quarter of these checks' time.
KEEP_CAPTURES = os.environ.get("GUICHET_CAPTURES") == "1"


def captures_dir() -> Path:
    default = Path(django_settings.BASE_DIR) / "var" / "captures"
    return Path(os.environ.get("GUICHET_CAPTURES_DIR") or default)


def session_cookie(user, url: str) -> list[dict]:
    """A signed-in session for `user` (staff have their TOTP device: the gate lets them in)."""
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return [{"name": name, "value": client.cookies[name].value, "url": url}]


# An id given twice: a link to it lands on the first, a label or aria reference may name the
# wrong element (two panels of one page once both said id="certificat").
DUPLICATE_IDS = """() => {
  const seen = {};
  for (const element of document.querySelectorAll("[id]")) seen[element.id] = (seen[element.id] || 0) + 1;
  return Object.keys(seen).filter(id => seen[id] > 1);
}"""


def check(page, console: list[str], url: str, path: str, width: int) -> list[str]:
    """What is wrong with the page at `url` at this width, in words (empty when all is well)."""
    console.clear()
    errors: list[str] = []
    response = page.goto(url)
    if response is None or response.status != 200:
        errors.append(f"{path}: HTTP {response.status if response else '—'}")
    if (titles := page.locator("h1").count()) != 1:
        errors.append(f"{path}: {titles} titres h1")
    if width == 1280 and (twice := page.evaluate(DUPLICATE_IDS)):
        errors.append(f"{path}: identifiants en double : {', '.join(twice)}")
    if (wide := page.evaluate("document.documentElement.scrollWidth")) > width:
        culprits = ", ".join(page.evaluate(STICKING_OUT, width))
        errors.append(f"{path}: {wide} px de large sur un écran de {width} px ({culprits})")
    if width == 1280 and path in WHOLE_AT_1280:
        errors += [f"{path} à 1280 px : {f}" for f in page.evaluate(CUT_OFF, WHOLE_AT_1280[path])]
    if any(pattern.fullmatch(path) for pattern in TABLES_WHOLE):
        errors += [f"{path} à {width} px : {f}" for f in page.evaluate(CELLS_CUT, width == 1280)]
        if width == 390:
            small = page.evaluate(SMALL_CHART_TEXT, MIN_CHART_TEXT_PX)
            errors += [f"{path} à 390 px : {f}" for f in small]
    for pattern, names in WHOLE_AT_390:
        if width == 390 and pattern.fullmatch(path):
            errors += [f"{path} à 390 px : {f}" for f in page.evaluate(VALUES_CUT, names)]
    errors += [
        f"{path} à {width} px : axe {v['id']} ({v['impact']}) sur "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in page.evaluate(AXE_RUN, AXE_OPTIONS[width])["violations"]
        if v["impact"] in SERIOUS
    ]
    errors += [f"{path} à {width} px : console « {text} »" for text in console]
    return errors


def walk(context, base: str, paths: dict[str, str], width: int, captures: Path) -> list[str]:
    """Visits each page in one tab (a new tab starts a new renderer: four times the cost of a
    visit), checks it and keeps its screenshot (JPEG: half the time of a PNG for pages this
    long, and as readable) when asked or when the page is at fault."""
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    faults = []
    for name, path in paths.items():
        found = check(page, console, base + path, path, width)
        if found or KEEP_CAPTURES:
            page.screenshot(
                path=str(captures / f"{name}.jpg"), full_page=True, type="jpeg", quality=70
            )
        faults += found
    return faults


@pytest.mark.parametrize("role", pages_world.ROLES)
def test_every_main_page_reads_at_1280_and_390_px_without_accessibility_faults(
    live_server, browser, catalogue, journal_rows_removed, role
):
    world = off_the_browser_thread(lambda: pages_world.build(role))
    paths = pages_world.pages(world, role)
    faults = []
    for label, (width, height) in WIDTHS.items():
        captures = captures_dir() / role / label
        captures.mkdir(parents=True, exist_ok=True)
        context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height})
        context.add_init_script(Axe().axe_script)
        if role != "public":
            context.add_cookies(session_cookie(world.users[role], live_server.url))
        try:
            faults += walk(context, live_server.url, paths, width, captures)
        finally:
            context.close()
    assert faults == [], "\n".join(faults)
