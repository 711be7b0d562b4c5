import pytest

from guichet.accounts.models import Role, User
from guichet.referentials.services import load_catalogue


def pytest_configure(config):
    """Passwords hash fast in tests: the production hasher (PBKDF2, a million rounds) would
    spend most of the suite's time on user fixtures and logins."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks run at once where they are enqueued (after the commit that enqueues them), so a
    # test sees their effect; the real worker (django-tasks-db) runs them in `make run`.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Django is set up before this hook, and its apps' tasks.py (autodiscovered then) already
    # made django-tasks load the configured backend: tell it the setting changed.
    from django.core.signals import setting_changed

    setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The shipped catalogue is loaded once per test database; tests roll back to it."""
    with django_db_blocker.unblock():
        load_catalogue()


@pytest.fixture(scope="session")
def _signing_keys(tmp_path_factory):
    """The agency's signing certificate, generated once for the session (RSA is slow)."""
    from guichet.signing.keys import generate_local_keys

    return generate_local_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path, _signing_keys):
    settings.GUICHET_SIGNING_P12 = str(_signing_keys[0])
    settings.GUICHET_SIGNING_P12_PASSWORD = _signing_keys[1].decode()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.GUICHET_FILES_ROOT = tmp_path / "files"


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


PASSWORD = "motdepasse-de-test-123"


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_staff(email: str, role: str, *, totp: bool = True) -> User:
    """An agency user; with a TOTP device by default, since staff without one are stopped at
    the enrolment page (R-ACC-3)."""
    from allauth.mfa.totp.internal.auth import TOTP

    user = User.objects.create_user(email=email, password=PASSWORD, role=role)
    if totp:
        TOTP.activate(user, TOTP_SECRET)
    return user


def totp_code(secret: str = TOTP_SECRET) -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


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
