"""Public pages (browser, simulator) and the agency's import page (R-REF-2, R-REF-3)."""

import csv
import io

import pytest
from django.urls import reverse

from guichet.referentials.models import ReferentialVersion
from guichet.referentials.selectors import get_version
from guichet.referentials.services import write_version
from guichet.referentials.spreadsheet import RequirementRow, ScenarioRow
from tests.conftest import PASSWORD
from tests.referentials.test_import import row, sheet_rows, xlsx

pytestmark = pytest.mark.django_db


def make_version(referential, number, size):
    requirements = [
        RequirementRow(
            code=f"REQ {i}",
            section="S",
            bloc="",
            function="",
            nature="DOIT",
            statement=f"Énoncé {i}",
            is_example=False,
            profiles=["p1", "p2"],
            scenarios=[
                ScenarioRow(code=f"REQ {i}.{j}", text="t", proofs=["a", "b"], row=0)
                for j in range(3)
            ],
        )
        for i in range(size)
    ]
    return write_version(
        referential=referential,
        number=number,
        state="published",
        entry_into_force=None,
        source="",
        profiles=[{"code": "p1", "label": "P1"}, {"code": "p2", "label": "P2"}],
        sections=[{"code": "S", "label": "Section"}],
        requirements=requirements,
        rules=[],
        questions=[],
        specifications=[],
    )


def test_r_ref_1_browse_page_query_count_does_not_grow_with_data(
    client, dmn, django_assert_max_num_queries
):
    small = make_version(dmn.referential, "50.0", 3)
    large = make_version(dmn.referential, "50.1", 60)
    counts = []
    for version in (small, large):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("referentials:browse", args=["DMN", version.number]))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    # version, profiles and sections for the filters, count, page, section join,
    # profiles, scenarios, proofs, specifications: the same whatever the size.
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(reverse("referentials:browse", args=["DMN", "50.1"]) + "?page=3")


def test_r_ref_3_browse_filters_by_profile_nature_section_and_text(client, dmn):
    url = reverse("referentials:browse", args=["DMN", "1.2.2"])
    page = client.get(url, {"profile": "acces_usager", "section": "IEU"}).content.decode()
    assert "IEU 9" in page
    assert "INS 1</h3>" not in page
    assert "exemple — à remplacer par l'import officiel" in page
    searched = client.get(url, {"q": "deux facteurs"}).content.decode()
    assert "IEU 9" in searched


def test_r_ref_3_simulator_shows_profiles_with_reasons_and_applicable_requirements(client, dmn):
    url = reverse("referentials:simulator", args=["DMN", "1.2.2"])
    answers = {
        "submitted": "1",
        "professional_access": "false",
        "patient_access": "true",
        "creates_identities": "true",
        "identity_setting": "hors_etablissement_sante",
    }
    page = client.get(url, answers).content.decode()
    assert 'data-profile="ri_hors_etablissement_sante"' in page
    assert 'data-profile="acces_professionnel"' not in page
    assert "le profil « Accès Usager » est obligatoire" in page
    assert "IEU 9" in page
    # An optional profile added by the visitor joins the chosen ones.
    page = client.get(url, {**answers, "extra": "stockage_titres_identite"}).content.decode()
    assert 'data-profile="stockage_titres_identite"' in page


def test_r_ref_3_simulator_downloads_only_the_applicable_requirements(client, dmn):
    query = {
        "submitted": "1",
        "professional_access": "false",
        "patient_access": "false",
        "creates_identities": "false",
    }
    xlsx_response = client.get(
        reverse("referentials:simulator-export", args=["DMN", "1.2.2", "xlsx"]), query
    )
    assert xlsx_response.status_code == 200
    rows = sheet_rows(io.BytesIO(b"".join(xlsx_response.streaming_content)))[1:]
    assert rows and all("Général" in r[0].split("\n") for r in rows)
    csv_response = client.get(
        reverse("referentials:simulator-export", args=["DMN", "1.2.2", "csv"]), query
    )
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][0] == "Profil"
    assert len(lines) - 1 == len(rows)


def test_r_ref_2_agency_imports_through_preview_then_confirm(client, dmn, agency_admin, tmp_path):
    client.login(email=agency_admin.email, password=PASSWORD)
    path = xlsx(tmp_path, [row("INS 1", "INS 1.1"), row("INS 1", "INS 1.2")])
    with path.open("rb") as handle:
        preview = client.post(
            reverse("referentials:import"),
            {"referential": "DMN", "number": "1.3.0", "file": handle},
        )
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Aperçu de l" in page
    assert not ReferentialVersion.objects.filter(number="1.3.0").exists()
    token = preview.context["confirm"].initial["token"]
    done = client.post(reverse("referentials:import-confirm"), {"token": token, "publish": "on"})
    assert done.status_code == 302
    version = get_version("DMN", "1.3.0")
    assert version.requirements.get().scenarios.count() == 2
    # The same confirmation cannot be replayed.
    again = client.post(reverse("referentials:import-confirm"), {"token": token})
    assert again.status_code == 302
    assert ReferentialVersion.objects.filter(number="1.3.0").count() == 1


def test_r_ref_2_agency_page_shows_errors_of_a_bad_file_and_creates_nothing(
    client, dmn, agency_admin, tmp_path
):
    client.login(email=agency_admin.email, password=PASSWORD)
    path = xlsx(tmp_path, [row(nature="PEUT-ÊTRE")])
    before = ReferentialVersion.objects.count()
    with path.open("rb") as handle:
        response = client.post(
            reverse("referentials:import"),
            {"referential": "DMN", "number": "1.3.0", "file": handle},
        )
    assert response.status_code == 400
    assert "nature inconnue" in response.content.decode()
    assert ReferentialVersion.objects.count() == before
    assert not list((tmp_path / "media" / "imports").glob("*"))


def test_r_act_1_only_agency_admins_manage_referentials(client, dmn, instructor):
    url = reverse("referentials:import")
    assert client.get(url).status_code == 302
    client.login(email=instructor.email, password=PASSWORD)
    assert client.get(url).status_code == 403
    assert client.get(reverse("referentials:manage")).status_code == 403


def test_r_app_2_agency_closes_a_pathway(client, catalogue, agency_admin):
    from guichet.referentials.models import Pathway

    client.login(email=agency_admin.email, password=PASSWORD)
    pathway = Pathway.objects.get(referential__code="DMN", code="nom_de_marque")
    client.post(reverse("referentials:pathway", args=[pathway.pk]), {"is_open": "0"})
    pathway.refresh_from_db()
    assert pathway.is_open is False


def test_home_and_lists_render_in_french(client, catalogue):
    for name in ("home", "referentials:list", "referentials:simulator-index"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert '<html lang="fr"' in response.content.decode()
        assert (
            "Guichet — certification des produits numériques en santé" in response.content.decode()
        )


def test_r_evd_3_agency_flags_sensitive_proofs(client, agency_admin, tlc):
    from django.urls import reverse

    from guichet.referentials.models import ExpectedProof

    proofs = ExpectedProof.objects.filter(scenario__version=tlc)
    assert proofs.filter(sensitive=True).exists()  # TLC penetration tests from the start
    client.force_login(agency_admin)
    url = reverse("referentials:sensitive-proofs", args=[tlc.pk])
    assert "Preuves sensibles" in client.get(url).content.decode()
    chosen = list(proofs.values_list("pk", flat=True)[:2])
    client.post(url, {"sensitive": chosen})
    assert set(proofs.filter(sensitive=True).values_list("pk", flat=True)) == set(chosen)
