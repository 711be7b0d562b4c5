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


def demo_totp_secret() -> str:
    """The agency demo accounts share one TOTP secret, generated into var/ on first run."""
    path = settings.VAR_DIR / "demo-totp-secret"
    if not path.exists():
        from allauth.mfa.totp.internal.auth import generate_totp_secret

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_totp_secret())
        path.chmod(0o600)
    return path.read_text().strip()


DEMO_TERMS = """Conditions générales d'utilisation de Guichet (exemple de démonstration)

1. Objet. Guichet est la plateforme sur laquelle l'Agence du numérique en santé instruit les demandes de certification de conformité des produits numériques en santé à ses référentiels.

2. Comptes. Chaque entreprise est représentée par un Responsable habilité, qui invite et retire les membres de son organisation. Chacun garde ses identifiants pour lui.

3. Engagements. L'utilisateur dépose des informations et des preuves exactes et à jour ; il ne dépose pas de données de santé à caractère personnel.

4. Traçabilité. Toute action est inscrite dans un journal d'audit horodaté et infalsifiable.

5. Données personnelles. Les données des comptes servent à l'instruction des demandes et aux échanges avec l'agence."""


def ensure_demo_terms() -> None:
    from guichet.accounts.models import TermsOfUse

    if not TermsOfUse.objects.exists():
        from guichet.accounts.terms import publish_terms

        publish_terms(version="1.0", text=DEMO_TERMS, by=User.objects.get(email=DEMO_USERS[0][0]))


def ensure_demo_users() -> list[tuple[str, str, str]]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    password = demo_password()
    secret = demo_totp_secret()
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
        if role in AGENCY_ROLES and not Authenticator.objects.filter(user=user).exists():
            TOTP.activate(user, secret)
        label = Role(role).label
        if siren:
            label = f"{label} — {DEMO_ORGANISATIONS[siren]}"
        logins.append((email, password, label))
    return logins
