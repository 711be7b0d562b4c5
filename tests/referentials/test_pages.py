"""Public pages (browser, simulator) and the agency's import page (R-REF-2, R-REF-3)."""

import csv
import io
import os
import time
from html import unescape

import pytest
from django.core.files.storage import InMemoryStorage, Storage, default_storage
from django.core.management import call_command
from django.urls import reverse

from guichet.referentials.models import ReferentialVersion
from guichet.referentials.selectors import get_version
from guichet.referentials.services import purge_pending_imports, write_version
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


def preview(client, path, number="1.3.0"):
    with path.open("rb") as handle:
        return client.post(
            reverse("referentials:import"), {"referential": "DMN", "number": number, "file": handle}
        )


class ObjectStorage(InMemoryStorage):
    """Files kept away from the local disk, with no path to open them by, as an S3 storage
    (InMemoryStorage alone answers `.path()` with a path where nothing is written)."""

    def _relative_path(self, name):
        return os.path.relpath(InMemoryStorage.path(self, name), self.location)

    def path(self, name):
        return Storage.path(self, name)  # NotImplementedError


@pytest.fixture
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.ObjectStorage"},
    }
    with pytest.raises(NotImplementedError):
        default_storage.path("imports/x.xlsx")
    return default_storage


def test_r_ref_2_import_pages_work_on_a_storage_without_paths(
    client, dmn, agency_admin, tmp_path, memory_storage
):
    client.force_login(agency_admin)
    page = preview(client, xlsx(tmp_path, [row("INS 1", "INS 1.1"), row("INS 1", "INS 1.2")]))
    assert page.status_code == 200
    assert len(memory_storage.listdir("imports")[1]) == 1  # waits for the confirmation
    token = page.context["confirm"].initial["token"]
    done = client.post(reverse("referentials:import-confirm"), {"token": token, "publish": "on"})
    assert done.status_code == 302
    assert get_version("DMN", "1.3.0").requirements.get().scenarios.count() == 2
    assert memory_storage.listdir("imports") == ([], [])
    assert not (tmp_path / "media").exists()


def test_r_ref_2_a_refused_file_is_never_stored(client, dmn, agency_admin, tmp_path):
    client.force_login(agency_admin)
    assert preview(client, xlsx(tmp_path, [row(nature="PEUT")])).status_code == 400
    assert not (tmp_path / "media" / "imports").exists()


def age(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_r_ref_2_abandoned_previews_are_purged_after_their_lifetime(
    client, dmn, agency_admin, tmp_path, settings
):
    settings.REFERENTIAL_IMPORT_PREVIEW_LIFETIME = 3600
    client.force_login(agency_admin)
    token = preview(client, xlsx(tmp_path, [row()])).context["confirm"].initial["token"]
    (pending,) = (tmp_path / "media" / "imports").iterdir()
    assert purge_pending_imports() == 0  # a fresh preview is kept
    assert pending.exists()
    age(pending, 3601)
    assert purge_pending_imports() == 1
    assert not pending.exists()
    assert purge_pending_imports() == 0  # idempotent
    # Its confirmation then asks for the file again, and creates nothing.
    response = client.post(reverse("referentials:import-confirm"), {"token": token}, follow=True)
    assert "n'est plus disponible" in unescape(response.content.decode())
    assert not ReferentialVersion.objects.filter(number="1.3.0").exists()


def test_r_ref_2_purge_pending_imports_command(client, dmn, agency_admin, tmp_path):
    client.force_login(agency_admin)
    preview(client, xlsx(tmp_path, [row()]))
    (pending,) = (tmp_path / "media" / "imports").iterdir()
    out = io.StringIO()
    call_command("purge_pending_imports", stdout=out)
    assert out.getvalue().startswith("0 fichier d'import en attente supprimé.")
    age(pending, 600)
    call_command("purge_pending_imports", "--older-than", "300", stdout=out)
    assert "1 fichier d'import en attente supprimé." in out.getvalue()
    assert not pending.exists()


def test_r_ref_2_a_new_import_purges_stale_previews(client, dmn, agency_admin, tmp_path):
    client.force_login(agency_admin)
    preview(client, xlsx(tmp_path, [row()]))
    (stale,) = (tmp_path / "media" / "imports").iterdir()
    age(stale, 2 * 3600)
    preview(client, xlsx(tmp_path, [row()], name="autre.xlsx"), number="1.4.0")
    (kept,) = (tmp_path / "media" / "imports").iterdir()
    assert kept != stale


def test_r_ref_2_an_expired_preview_cannot_be_confirmed(client, dmn, agency_admin, tmp_path):
    client.force_login(agency_admin)
    token = preview(client, xlsx(tmp_path, [row()])).context["confirm"].initial["token"]
    # The admin comes back two hours later.
    session = client.session
    session[f"import:{token}"]["created"] -= 2 * 3600
    session.save()
    response = client.post(reverse("referentials:import-confirm"), {"token": token}, follow=True)
    assert "Cet import a expiré" in unescape(response.content.decode())
    assert not ReferentialVersion.objects.filter(number="1.3.0").exists()
    assert not list((tmp_path / "media" / "imports").iterdir())
