"""Demo accounts for `make run` (never used in production)."""

import secrets

from django.conf import settings

from guichet.accounts.models import Role, User

DEMO_USERS = [
    ("admin@guichet.local", Role.AGENCY_ADMIN, "Adèle", "Administratrice"),
    ("support@guichet.local", Role.SUPPORT, "Sami", "Support"),
]


def demo_password() -> str:
    """One password for every demo account, generated into var/ on first run."""
    path = settings.VAR_DIR / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"demo-{secrets.token_urlsafe(9)}")
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_demo_users() -> list[tuple[str, str, str]]:
    password = demo_password()
    logins = []
    for email, role, first_name, last_name in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": role == Role.AGENCY_ADMIN,
            },
        )
        if created:
            user.set_password(password)
            user.save()
        logins.append((email, password, Role(role).label))
    return logins
