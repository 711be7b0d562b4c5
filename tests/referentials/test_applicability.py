"""Applicable requirements (R-REF-3, R-REF-7): the profiles' requirements plus those of the
generic line pathology's technical specification; the same rule in the API, the simulator, the
exports and the spreadsheet; the per-version index rebuilt whenever the content changes."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from guichet.referentials import selectors
from guichet.referentials.exports import write_version_xlsx
from guichet.referentials.models import ExpectedProof, Pathology, ReferentialVersion, Requirement
from guichet.referentials.selectors import (
    applicable_requirements,
    get_version,
    requirements_queryset,
)
from guichet.referentials.services import set_sensitive_proofs

pytestmark = pytest.mark.django_db

HAS = {"HAS1", "HAS2", "HAS3", "HAS4"}


def pathology(code):
    return Pathology.objects.get(pathway__code="ligne_generique", code=code)


def codes(requirements):
    return {r.code for r in requirements}


def test_r_ref_7_pathology_adds_its_specification_requirements(dmn):
    brand_name = codes(applicable_requirements(dmn, ["general"]))
    diabetes = codes(applicable_requirements(dmn, ["general"], pathology("diabete")))
    assert diabetes - brand_name == {"HAS1 1", "HAS1 2"}
    assert not any(code.split()[0] in HAS for code in brand_name)
    heart = codes(applicable_requirements(dmn, ["general"], pathology("insuffisance_cardiaque")))
    assert heart - brand_name == {"HAS2 1", "HAS2 2"}
    # A specification's requirements apply only through it: no profile brings them in.
    every_profile = list(dmn.profiles.values_list("code", flat=True))
    assert not any(r.specification for r in applicable_requirements(dmn, every_profile))


def test_r_ref_7_the_index_and_the_sql_filter_give_the_same_requirements(dmn):
    profiles = list(dmn.profiles.values_list("code", flat=True))
    choices = [[], ["general"], profiles[1:3], profiles]
    for chosen_pathology in [None, *Pathology.objects.filter(is_available=True)]:
        for chosen in choices:
            expected = [
                r.code
                for r in requirements_queryset(dmn, profiles=chosen, pathology=chosen_pathology)
            ]
            assert [
                r.code for r in applicable_requirements(dmn, chosen, chosen_pathology)
            ] == expected, (chosen_pathology, chosen)


def test_r_ref_7_api_lists_requirements_with_a_pathology(client, dmn):
    url = "/api/v1/referentials/DMN/1.2.2/requirements"
    response = client.get(url, {"profiles": "general", "pathology": "HAS1", "page_size": 500})
    assert response.status_code == 200
    listed = {r["id"]: r for r in response.json()["results"]}
    assert {"HAS1 1", "HAS1 2"} <= set(listed) and "HAS2 1" not in listed
    assert listed["HAS1 1"]["specification"] == "HAS1" and listed["HAS1 1"]["profiles"] == []
    assert listed["INS 1"]["specification"] is None
    by_code = client.get(url, {"profiles": "general", "pathology": "diabete", "page_size": 500})
    assert {r["id"] for r in by_code.json()["results"]} == set(listed)
    without = client.get(url, {"profiles": "general", "page_size": 500}).json()["results"]
    assert not any(r["specification"] for r in without)


@pytest.mark.parametrize(
    "value, fragment",
    [("HAS9", "Pathologie inconnue « HAS9 »"), ("HAS5", "HAS5 (Prothèses cardiaques")],
)
def test_r_ref_7_api_refuses_an_unknown_or_coming_pathology(client, dmn, value, fragment):
    response = client.get(
        "/api/v1/referentials/DMN/1.2.2/requirements", {"profiles": "general", "pathology": value}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert fragment in response.json()["detail"]


def test_r_ref_7_simulator_adds_the_pathology_and_exports_it(client, dmn):
    answers = {
        "submitted": "1",
        "professional_access": "false",
        "patient_access": "false",
        "creates_identities": "false",
        "pathology": "diabete",
    }
    url = reverse("referentials:simulator", args=["DMN", "1.2.2"])
    page = client.get(url, answers).content.decode()
    assert 'id="ligne-generique"' in page and "spécification technique HAS1" in page
    export = client.get(
        reverse("referentials:simulator-export", args=["DMN", "1.2.2", "xlsx"]), answers
    )
    workbook = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    profile_cells = {row[0] for row in workbook["Exigences"].iter_rows(min_row=2, values_only=True)}
    workbook.close()
    assert profile_cells == {"Général", "HAS1"}
    # HAS5 is « à venir »: not offered.
    assert 'value="protheses_cardiaques"' not in page


def test_r_ref_7_export_then_import_keeps_each_specification(dmn, tmp_path):
    path = tmp_path / "export.xlsx"
    write_version_xlsx(dmn, path)
    workbook = load_workbook(path, read_only=True)
    exported = {
        row[5]: row[0] for row in workbook["Exigences"].iter_rows(min_row=2, values_only=True)
    }
    workbook.close()
    assert exported["HAS1 1"] == "HAS1" and exported["HAS4 2"] == "HAS4"
    call_command("import_referential", str(path), "--referential", "DMN", "--version", "9.8")
    copy = get_version("DMN", "9.8")

    def links(version):
        return sorted(
            (r.code, r.specification.code if r.specification else None, r.section.code)
            for r in version.requirements.select_related("specification", "section")
        )

    assert links(copy) == links(dmn)
    assert not copy.requirements.get(code="HAS1 1").profiles.exists()
    diabetes = codes(applicable_requirements(copy, ["general"], pathology("diabete")))
    assert {"HAS1 1", "HAS1 2"} <= diabetes


def _workbook(tmp_path, rows):
    from tests.referentials.test_import import HEADER

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Exigences"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "exigences.xlsx"
    workbook.save(path)
    return path


def _row(requirement, scenario, profile, section="Identité"):
    statement, text, proofs = "Énoncé.", "Scénario.", ["Capture", None, None]
    return [
        profile,
        section,
        "Bloc",
        "Fonction",
        "DOIT",
        requirement,
        statement,
        scenario,
        text,
    ] + proofs


def test_r_ref_7_import_links_a_specification_named_in_the_profile_column(dmn, tmp_path):
    path = _workbook(
        tmp_path,
        [
            _row("INS 1", "INS 1.1", "Général"),
            _row("DIAB 1", "DIAB 1.1", "has1", section="Télésurveillance du diabète"),
        ],
    )
    call_command("import_referential", str(path), "--referential", "DMN", "--version", "9.7")
    version = get_version("DMN", "9.7")
    linked = version.requirements.select_related("specification").get(code="DIAB 1")
    assert linked.specification.code == "HAS1" and linked.specification.version == version
    assert not version.profiles.filter(code__icontains="has").exists()  # no profile « has1 »
    assert codes(applicable_requirements(version, ["general"])) == {"INS 1"}


def test_r_ref_7_import_refuses_a_specification_mixed_with_profiles(dmn, tmp_path):
    path = _workbook(
        tmp_path,
        [
            _row("INS 1", "INS 1.1", "Général"),
            _row("DIAB 1", "DIAB 1.1", "HAS1"),
            _row("DIAB 1", "DIAB 1.2", "Accès Usager"),
        ],
    )
    before = (ReferentialVersion.objects.count(), Requirement.objects.count())
    with pytest.raises(CommandError) as refused:
        call_command("import_referential", str(path), "--referential", "DMN", "--version", "9.6")
    message = str(refused.value)
    assert "ligne 3" in message and "« DIAB 1 »" in message and "HAS1" in message
    assert "Accès Usager" in message
    assert (ReferentialVersion.objects.count(), Requirement.objects.count()) == before


def test_index_follows_every_change_of_the_version_content(dmn):
    first = applicable_requirements(dmn, ["general"])
    proof = first[0].scenarios[0].proofs[0]
    assert not proof.sensitive
    # A bulk write (the agency's sensitive-proofs page) gives a new revision.
    revision = dmn.content_revision
    set_sensitive_proofs(dmn, sensitive_ids={proof.pk})
    assert dmn.content_revision != revision
    fresh = ReferentialVersion.objects.get(pk=dmn.pk)  # as another request, or process, reads it
    assert fresh.content_revision == dmn.content_revision
    assert applicable_requirements(fresh, ["general"])[0].scenarios[0].proofs[0].sensitive
    # A single-row save (the Django admin) too.
    row = ExpectedProof.objects.get(pk=proof.pk)
    row.description = "Capture d'écran datée"
    row.save()
    fresh = ReferentialVersion.objects.get(pk=dmn.pk)
    assert fresh.content_revision != dmn.content_revision
    changed = applicable_requirements(fresh, ["general"])[0].scenarios[0].proofs[0]
    assert changed.description == "Capture d'écran datée"
    # Profiles linked or unlinked through the many-to-many as well.
    requirement = Requirement.objects.get(pk=first[0].pk)
    requirement.profiles.clear()
    fresh = ReferentialVersion.objects.get(pk=dmn.pk)
    assert first[0].code not in codes(applicable_requirements(fresh, ["general"]))


def test_index_is_read_once_per_revision(dmn, django_assert_num_queries):
    selectors.version_index(dmn)
    with django_assert_num_queries(0):
        applicable_requirements(dmn, ["general"], pathology=None)
