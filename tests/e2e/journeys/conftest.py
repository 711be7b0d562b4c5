from pathlib import Path

import pytest

from tests.e2e.journeys.steps import Journey


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


@pytest.fixture
def journey(browser, live_server, settings, catalogue, journal_rows_removed, request):
    """A journey's browser, server and mail folder. Links in mails lead to the live server;
    every mail is a file in the mail folder, read there as a person reads it (`make run`
    writes them the same way)."""
    settings.GUICHET_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    name = request.node.name.removeprefix("test_").removesuffix("_journey")
    j = Journey(browser, live_server.url, name, mail_dir=Path(settings.EMAIL_FILE_PATH))
    yield j
    if getattr(request.node, "journey_failed", False):
        j.screenshot_everyone("echec")  # where each person stood, for CI's artefacts
    for page in j.pages.values():
        page.context.close()
