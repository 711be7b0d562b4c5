# ruff: noqa: F811 (the world fixture imported from register_world)
"""End to end, in Debian's Chromium: the public register on a phone (390 px wide) — one card per
certificate, its number, product, state and dates whole on the screen, the page never wider
than it — and on a computer (a table); a search."""

import pytest

from tests.certificates.register_world import world  # noqa: F401
from tests.e2e.threads import off_the_browser_thread

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_r_pub_1_the_register_reads_on_a_390_px_screen(
    live_server, browser, world, journal_rows_removed
):
    def issue():
        first = world.issue()
        world.withdraw(world.issue(holder=world.b, version=world.tlc))
        return first

    first = off_the_browser_thread(issue)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/registre/")
        table = page.locator("#registre table")
        table.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert table.locator("tbody tr").count() == 2
        # One card per certificate: nothing to scroll sideways, each value under its name.
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth")
        assert table.locator("thead").evaluate("h => h.getBoundingClientRect().width") <= 1
        card = table.locator("tbody tr").first
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        shown = " ".join(card.inner_text().split())
        for expected in (
            "CC-TLC-2027-0001",
            "RETIRÉ Le 1er juillet 2027, avec effet immédiat",  # a DSFR badge, in capitals
            "Plus valable depuis le 1er juillet 2027",
        ):
            assert expected in shown, shown
        # Each value under its column's name (a label the style sheet writes before it).
        assert (
            card.locator("td").first.evaluate("c => getComputedStyle(c, '::before').content")
            == '"Numéro"'
        )
        for cell in card.locator("td").all():
            assert cell.evaluate("c => c.scrollWidth <= c.clientWidth"), cell.inner_text()
        # On a computer, the same certificates as a table, its columns named once.
        page.set_viewport_size({"width": 1280, "height": 800})
        assert table.locator("thead th").first.is_visible()
        assert (
            table.locator("tbody tr")
            .first.locator("td")
            .first.evaluate("c => getComputedStyle(c).display")
            == "table-cell"
        )
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("textbox", name="Rechercher").fill(first.product_name)
        with page.expect_navigation():
            page.get_by_role("button", name="Rechercher").click()
        assert table.locator("tbody tr").count() == 1
        assert page.get_by_role("link", name=first.number).get_attribute("href") == (
            f"/certificats/{first.number}/"
        )
    finally:
        context.close()
