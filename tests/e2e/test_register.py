# ruff: noqa: F811 (the world fixture imported from register_world)
"""End to end, in Debian's Chromium: the public register on a phone (390 px wide) — its table
scrolls inside its DSFR wrapper, the page itself never wider than the screen — and a search."""

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
        # The table is wider than the screen: its wrapper scrolls, not the page.
        assert table.evaluate("t => t.scrollWidth") > 390
        page.get_by_role("textbox", name="Rechercher").fill(first.product_name)
        with page.expect_navigation():
            page.get_by_role("button", name="Rechercher").click()
        assert table.locator("tbody tr").count() == 1
        assert page.get_by_role("link", name=first.number).get_attribute("href") == (
            f"/certificats/{first.number}/"
        )
    finally:
        context.close()
