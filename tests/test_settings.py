"""Production mode: `check --deploy` reports nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "GUICHET_ENV": "production",
        "SECRET_KEY": "x" * 20 + "production-secret-key-for-the-check-0123456789",
        "GUICHET_MASTER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "GUICHET_JOURNAL_KEY": "production-journal-key-for-the-check-0123456789",
        "ALLOWED_HOSTS": "guichet.example.fr",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUICHET_VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests of this process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "GUICHET_ENV": "production", "GUICHET_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_the_shared_cache_does_not_forget_a_lockout_when_many_clients_come():
    """Login lockouts, used TOTP codes and rate limits live in the shared database cache: 400
    clients later (Django's default keeps 300 entries, culled by key order), the lockout of the
    first is still there (issue 24 §1)."""
    from django.core.cache import cache

    cache.set("0-verrou-de-connexion", 5, 3600)
    for client in range(400):
        cache.set(f"limite-{client}", 1, 3600)
    assert cache.get("0-verrou-de-connexion") == 5
