"""The cast of the tests (factory_boy): organisations, their Responsable habilité and members,
agency staff with their second factor. Objects whose state matters (applications) are made by
the services, never by writing a status column: see tests/workflow.py."""

import factory
from stdnum import luhn

from guichet.accounts.models import Organisation, Role, User

PASSWORD = "motdepasse-de-test-123"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _valid_siren(n: int) -> str:
    """A SIREN that passes the Luhn check: 8 digits from the sequence, then the check digit."""
    body = f"{700000000 + n * 7:09d}"[:8]
    return body + luhn.calc_check_digit(body)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Entreprise {n}")
    siren = factory.Sequence(_valid_siren)


class UserFactory(factory.django.DjangoModelFactory):
    """A person of an applicant organisation; `role` and `organisation` say which."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    username = factory.SelfAttribute("email")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    role = Role.APPLICANT_ADMIN
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password(PASSWORD)

    class Params:
        member = factory.Trait(role=Role.APPLICANT_MEMBER)


class StaffFactory(UserFactory):
    """An agency agent (instructor by default); with a TOTP device unless `totp=False`, since
    staff without one are stopped at the enrolment page (R-ACC-3)."""

    role = Role.INSTRUCTOR
    organisation = None

    @factory.post_generation
    def totp(user, create, extracted, **kwargs):  # noqa: N805 (factory_boy's signature)
        from allauth.mfa.totp.internal.auth import TOTP

        if create and extracted is not False:
            TOTP.activate(user, TOTP_SECRET)
