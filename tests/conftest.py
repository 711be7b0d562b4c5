import pytest

from guichet.accounts.models import Role, User
from guichet.referentials.services import load_catalogue
from tests.factories import PASSWORD, TOTP_SECRET, StaffFactory

__all__ = ["PASSWORD", "TOTP_SECRET"]  # imported from here by the tests

# The applicant's world (organisations, products, applications at each step), for every app.
pytest_plugins = ["tests.fixtures"]


def pytest_configure(config):
    """Passwords hash fast in tests: the production hasher (PBKDF2, a million rounds) would
    spend most of the suite's time on user fixtures and logins. Tasks run at once where they
    are enqueued (after the commit that enqueues them), so a test sees their effect; the real
    worker (django-tasks-db) runs them in `make run`. Through override_settings, so that the
    caches built from the old values (hashers, task backends) are reset."""
    from django.test.utils import override_settings

    override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        # The suite's files live in temporary folders: no need to wait for the disk.
        GUICHET_FSYNC_UPLOADS=False,
        # The journal's key (R-AUD-1), the same for every test and world of the session.
        GUICHET_JOURNAL_KEY="clé-du-journal-pour-les-tests-0123456789abcdef",
        GUICHET_JOURNAL_PREVIOUS_KEYS=[],
    ).enable()


# What migrations build besides the models' tables: the database cache's table and the
# journal's append-only triggers. `make test` creates its databases from the models
# (--no-migrations: the migrations' state rendering was a tenth of the suite's time); these
# are then built here. `make journeys` and `make run` apply the migrations themselves.
SCHEMA_BESIDE_THE_MODELS = (
    ("guichet.common.migrations.0001_cache_table", "create_cache_table"),
    ("guichet.journal.migrations.0003_refuse_replace", "forward"),
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """The shipped catalogue is loaded once per test database; tests roll back to it."""
    import importlib

    from django.apps import apps
    from django.db import connection

    with django_db_blocker.unblock():
        if request.config.getoption("nomigrations", False):
            with connection.schema_editor() as schema_editor:
                for module, function in SCHEMA_BESIDE_THE_MODELS:
                    getattr(importlib.import_module(module), function)(apps, schema_editor)
        load_catalogue()


@pytest.fixture(scope="session")
def _signing_keys(tmp_path_factory):
    """The agency's signing certificate, generated once for the session (RSA is slow)."""
    from guichet.signing.keys import generate_local_keys

    return generate_local_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(autouse=True)
def _cache_emptied_after_a_committed_test(request, django_db_blocker):
    """Rate limits, used TOTP codes and kept pages live in the database cache. A test in a
    transaction leaves nothing there; one that commits (a browser's, a transactional one)
    would leave them to the next tests of its worker, since flushing the database leaves the
    cache's table as it is: emptied after it."""
    yield
    marker = request.node.get_closest_marker("django_db")
    committed = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if committed or (marker is not None and marker.kwargs.get("transaction")):
        from django.core.cache import cache

        with django_db_blocker.unblock():
            cache.clear()


@pytest.fixture(autouse=True)
def _answers_forgotten():
    """The verification's answers kept in each process's memory (issue 24 §1), by number,
    revision and times: a later test's certificate may have an earlier one's."""
    yield
    from django.core.cache import caches

    caches["answers"].clear()


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path, _signing_keys):
    settings.GUICHET_SIGNING_P12 = str(_signing_keys[0])
    settings.GUICHET_SIGNING_P12_PASSWORD = _signing_keys[1].decode()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.GUICHET_FILES_ROOT = tmp_path / "files"
    settings.GUICHET_JOURNAL_CHECKPOINT_DIR = tmp_path / "journal-checkpoints"


@pytest.fixture
def catalogue(db):
    # Already there, unless a transactional test flushed the database before this one.
    load_catalogue()


@pytest.fixture
def dmn(catalogue):
    from guichet.referentials.selectors import get_version

    return get_version("DMN", "1.2.2")


@pytest.fixture
def tlc(catalogue):
    from guichet.referentials.selectors import get_version

    return get_version("TLC", "1.4.2")


def make_staff(email: str, role: str, *, totp: bool = True) -> User:
    """An agency user; with a TOTP device by default, since staff without one are stopped at
    the enrolment page (R-ACC-3)."""
    return StaffFactory(email=email, role=role, totp=totp)


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The current code; in the last 3 seconds of its 30-second window, the next window's, waited for,
    since the server accepts the current window only (MFA_TOTP_TOLERANCE is 0)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def committee_member(db):
    return make_staff("college@agence.test", Role.COMMITTEE)


@pytest.fixture
def agency_admin(db):
    return make_staff("admin@agence.test", Role.AGENCY_ADMIN)


@pytest.fixture
def instructor(db):
    return make_staff("instructeur@agence.test", Role.INSTRUCTOR)


@pytest.fixture
def support(db):
    return make_staff("support@agence.test", Role.SUPPORT)


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


def committed():
    """Runs what waits for the commit (emails, the task worker's jobs) at the end of the block,
    as a real commit would: for helpers that walk an application through its steps outside a
    fixture that has `django_capture_on_commit_callbacks`."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def journal_rows_removed(transactional_db):
    """Transactional tests (browser tests, concurrent sweeps) commit for real, journal entries
    included. The journal refuses DELETE (its SQLite trigger), which would stop the table flush
    that ends a transactional test: the rows are removed here first, with the triggers lifted
    for that statement only."""
    yield
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return  # PostgreSQL's flush truncates, which row triggers do not see
    triggers = importlib.import_module("guichet.journal.migrations.0003_refuse_replace")
    with connection.cursor() as cursor:
        for statement in triggers.SQLITE_BACKWARD:
            cursor.execute(statement)
        cursor.execute("DELETE FROM journal_journalentry")
        for statement in triggers.SQLITE_FORWARD:
            cursor.execute(statement)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory, _signing_keys):
    """A transaction held open for a whole module, rolled back at its end: a world built once
    in it (a module-scoped fixture that asks for this one) is seen by each of the module's
    tests, whose own transaction is a savepoint inside it, rolled back after each test. For
    read-mostly worlds that cost seconds to build; the files they write go to a folder of
    the module's."""
    from django.db import transaction
    from django.test.utils import override_settings

    folder = tmp_path_factory.mktemp("module")
    with (
        django_db_blocker.unblock(),
        override_settings(
            GUICHET_SIGNING_P12=str(_signing_keys[0]),
            GUICHET_SIGNING_P12_PASSWORD=_signing_keys[1].decode(),
            MEDIA_ROOT=folder / "media",
            EMAIL_FILE_PATH=str(folder / "mail"),
            GUICHET_FILES_ROOT=folder / "files",
            GUICHET_JOURNAL_CHECKPOINT_DIR=folder / "journal-checkpoints",
        ),
        transaction.atomic(),
    ):
        load_catalogue()  # unless a transactional test flushed it away
        yield
        transaction.set_rollback(True)
