"""Proofs carry only fictitious or anonymised data (R-EVD-1): the evidence page says so before
any upload, and links the agency's test environments (a setting)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOTICE = "ne contiennent que des données fictives ou anonymisées"


def page_of(client, user, application) -> str:
    client.force_login(user)
    response = client.get(reverse("evidence:page", args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_r_evd_1_the_evidence_page_says_test_data_only_before_any_upload(
    client, applicant, tlc_admissible, settings
):
    """TLC guide §5.2: « l'ANS met à disposition des environnements de test. Il est rappelé de ne
    pas diffuser de données de santé à caractère personnel […] et se limiter à transmettre
    exclusivement des données fictives ou anonymisées »."""
    settings.GUICHET_TEST_ENVIRONMENTS_URL = "https://tests.agence.example/environnements"
    page = page_of(client, applicant, tlc_admissible)
    assert NOTICE in page
    notice = page.index(NOTICE)
    # Before the first upload form of the page.
    assert notice < page.index("data-upload")
    link = re.search(r'<a href="([^"]+)"[^>]*>utilisez les environnements de test', page)
    assert link and link.group(1) == "https://tests.agence.example/environnements"
    assert notice < page.index("https://tests.agence.example/environnements")


def test_r_evd_1_without_a_test_environments_page_the_reminder_stays(
    client, applicant, dmn_admissible, settings
):
    """« exclusivement des données fictives ou anonymisées » holds with or without the link: an
    empty setting leaves the reminder without a link (DMN too, convention not yet signed)."""
    settings.GUICHET_TEST_ENVIRONMENTS_URL = ""
    page = page_of(client, applicant, dmn_admissible)
    assert NOTICE in page
    assert "utilisez les environnements de test" not in page


def test_r_evd_1_the_default_links_the_agency_page(client, applicant, tlc_admissible):
    """The default setting links the agency's page the guide names (« Pour le déploiement de
    l'INS à l'adresse suivante »)."""
    from django.conf import settings

    assert settings.GUICHET_TEST_ENVIRONMENTS_URL.startswith("https://esante.gouv.fr/")
    assert settings.GUICHET_TEST_ENVIRONMENTS_URL in page_of(client, applicant, tlc_admissible)
