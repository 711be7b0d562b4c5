"""Demo accounts for `make run` (never used in production)."""

import secrets

from django.conf import settings

from guichet.accounts.models import AGENCY_ROLES, Organisation, Role, User

DEMO_ORGANISATIONS = {
    "732829320": "Télésanté Démo SAS",
    "552100554": "Santé Connectée Démo SA",
}
# email, role, first name, last name, organisation SIREN
DEMO_USERS = [
    ("admin@guichet.local", Role.AGENCY_ADMIN, "Adèle", "Administratrice", None),
    ("support@guichet.local", Role.SUPPORT, "Sami", "Support", None),
    ("instructeur@guichet.local", Role.INSTRUCTOR, "Inès", "Instructrice", None),
    ("college@guichet.local", Role.COMMITTEE, "Colin", "Collège", None),
    ("responsable@telesante-demo.fr", Role.APPLICANT_ADMIN, "Camille", "Martin", "732829320"),
    ("membre@telesante-demo.fr", Role.APPLICANT_MEMBER, "Maxime", "Petit", "732829320"),
    ("responsable@sante-connectee-demo.fr", Role.APPLICANT_ADMIN, "Bérénice", "Roux", "552100554"),
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
    organisations = {
        siren: Organisation.objects.get_or_create(siren=siren, defaults={"name": name})[0]
        for siren, name in DEMO_ORGANISATIONS.items()
    }
    logins = []
    for email, role, first_name, last_name, siren in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": role in AGENCY_ROLES,
                "organisation": organisations.get(siren),
            },
        )
        if created:
            user.set_password(password)
            user.save()
        label = Role(role).label
        if siren:
            label = f"{label} — {DEMO_ORGANISATIONS[siren]}"
        logins.append((email, password, label))
    return logins
