import pytest

from guichet.accounts.models import Role, User
from guichet.referentials.services import load_catalogue


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")


@pytest.fixture
def catalogue(db):
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


@pytest.fixture
def agency_admin(db):
    return User.objects.create_user(
        email="admin@agence.test", password=PASSWORD, role=Role.AGENCY_ADMIN
    )


@pytest.fixture
def instructor(db):
    return User.objects.create_user(
        email="instructeur@agence.test", password=PASSWORD, role=Role.INSTRUCTOR
    )


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()
