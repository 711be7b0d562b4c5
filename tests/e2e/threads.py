"""Django work the browser tests do beside Playwright."""

import threading

from django.db import connection


def off_the_browser_thread(function):
    """Runs `function` in a thread of its own: sealing PDFs calls asyncio.run, which fails in
    the thread where Playwright's loop runs (tests/e2e/conftest.py)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
