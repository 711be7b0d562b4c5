"""Import and export of the agency's spreadsheet (R-REF-2, R-REF-1)."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from guichet.referentials.exports import write_version_xlsx
from guichet.referentials.models import (
    ExpectedProof,
    ReferentialVersion,
    Requirement,
    Scenario,
)
from guichet.referentials.selectors import get_version

pytestmark = pytest.mark.django_db

HEADER = [
    "Profil",
    "Section",
    "Bloc",
    "Fonction",
    "Nature de l'exigence",
    "ID exigence",
    "Enoncé de l'exigence (DOIT) ou de la préconisation (DEVRAIT)",
    "N° scénario",
    "Scénario de conformité",
    "Preuve 1",
    "Preuve 2",
    "Preuve 3",
]


def row(
    req="INS 1",
    scenario="INS 1.1",
    profile="Général",
    nature="DOIT",
    section="Identité",
    statement="Le système DOIT faire X.",
    text="Vérifier X.",
    proofs=("Capture",),
):
    proofs = list(proofs) + [None] * (3 - len(proofs))
    return [profile, section, "Bloc", "Fonction", nature, req, statement, scenario, text, *proofs]


def xlsx(tmp_path, rows, header=HEADER, sheet="Exigences", name="exigences.xlsx"):
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    workbook.save(path)
    return path


def sheet_rows(path):
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook["Exigences"].iter_rows(values_only=True))
    finally:
        workbook.close()


def snapshot():
    return (
        ReferentialVersion.objects.count(),
        Requirement.objects.count(),
        Scenario.objects.count(),
        ExpectedProof.objects.count(),
    )


def import_file(path, number="1.2.3"):
    call_command("import_referential", str(path), "--referential", "DMN", "--version", number)


def test_r_ref_2_import_creates_a_version_with_requirements_spanning_rows(catalogue, tmp_path):
    path = xlsx(
        tmp_path,
        [
            row("INS 1", "INS 1.1", profile="Général\nAccès Usager", proofs=("P1", "P2", "P3")),
            row("INS 1", "INS 1.2", profile="Référentiel d'identité"),
            row(
                "IEU 9",
                "IEU 9.1",
                profile="Accès Usager; Accès Usager – ApCV",
                nature="DEVRAIT",
                section="Identification électronique des usagers (IEU)",
            ),
        ],
    )
    import_file(path)
    version = get_version("DMN", "1.2.3")
    ins1 = version.requirements.get(code="INS 1")
    assert {p.label for p in ins1.profiles.all()} == {
        "Général",
        "Accès Usager",
        "Référentiel d'identité",
    }
    assert [s.code for s in ins1.scenarios.all()] == ["INS 1.1", "INS 1.2"]
    assert [p.description for p in ins1.scenarios.get(code="INS 1.1").proofs.all()] == [
        "P1",
        "P2",
        "P3",
    ]
    ieu9 = version.requirements.get(code="IEU 9")
    assert ieu9.nature == "DEVRAIT"
    assert ieu9.section.code == "IEU"  # matched to the previous version's section by label
    # Rules and questionnaire carry over from the previous version.
    assert version.profile_rules.count() == get_version("DMN", "1.2.2").profile_rules.count()


def test_r_ref_2_headers_are_found_whatever_their_case_accents_order_and_line_breaks(
    catalogue, tmp_path
):
    header = [
        " PROFIL ",
        "section",
        "BLOC",
        "fonction\n",
        "Nature",
        "ID Exigence",
        "Enonce de l'exigence\n(DOIT) ou de la preconisation (DEVRAIT)",
        "N°  Scénario",
        "scenario de CONFORMITE",
        "preuve 1",
        "Preuve 2 ",
        "PREUVE 3",
    ]
    order = [11, 10, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    r = row()
    path = xlsx(tmp_path, [[r[i] for i in order]], header=[header[i] for i in order])
    import_file(path)
    scenario = get_version("DMN", "1.2.3").requirements.get().scenarios.get()
    assert scenario.code == "INS 1.1"
    assert scenario.text == "Vérifier X."


def _refused(path, fragment, number="1.2.3"):
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        import_file(path, number)
    assert fragment in str(excinfo.value)
    # The usual wording, and a non-zero exit status.
    assert str(excinfo.value).startswith("Fichier refusé, rien n'a été modifié :")
    assert excinfo.value.returncode != 0
    assert snapshot() == before
    return str(excinfo.value)


def test_r_ref_2_refuses_a_file_that_is_not_xlsx(catalogue, tmp_path):
    path = tmp_path / "faux.xlsx"
    path.write_text("ceci n'est pas un classeur")
    _refused(path, "n'est pas un classeur Excel")


def test_r_ref_2_refuses_a_workbook_without_exigences_sheet(catalogue, tmp_path):
    _refused(xlsx(tmp_path, [row()], sheet="Feuil1"), "pas de feuille « Exigences »")


def test_r_ref_2_refuses_a_missing_column_and_names_it(catalogue, tmp_path):
    header = [h for h in HEADER if h != "N° scénario"]
    r = row()
    del r[7]
    message = _refused(xlsx(tmp_path, [r], header=header), "N° scénario")
    assert "manquante" in message


def test_r_ref_2_refuses_a_duplicate_scenario_naming_both_rows(catalogue, tmp_path):
    path = xlsx(tmp_path, [row("INS 1", "INS 1.1"), row("INS 2", "INS 1.1")])
    message = _refused(path, "« INS 1.1 » est en double")
    assert "ligne 3" in message and "ligne 2" in message


def test_r_ref_2_refuses_a_scenario_without_requirement(catalogue, tmp_path):
    message = _refused(xlsx(tmp_path, [row(), row(req="", scenario="INS 1.2")]), "sans exigence")
    assert "ligne 3" in message and "colonne F" in message


def test_r_ref_2_refuses_an_unknown_nature(catalogue, tmp_path):
    message = _refused(xlsx(tmp_path, [row(nature="PEUT")]), "nature inconnue « PEUT »")
    assert "ligne 2" in message


def test_r_ref_2_refuses_a_version_that_already_exists(catalogue, tmp_path):
    _refused(xlsx(tmp_path, [row()]), "existe déjà", number="1.2.2")


def test_r_ref_2_a_failure_late_in_the_write_changes_nothing(catalogue, tmp_path, monkeypatch):
    from guichet.referentials import services

    def explode(*args, **kwargs):
        raise RuntimeError("panne au milieu de l'écriture")

    monkeypatch.setattr(services.ExpectedProof.objects, "bulk_create", explode)
    before = snapshot()
    with pytest.raises(RuntimeError):
        import_file(xlsx(tmp_path, [row()]))
    assert snapshot() == before


def test_r_ref_2_export_then_import_gives_the_same_content(dmn, tmp_path):
    path = tmp_path / "export.xlsx"
    write_version_xlsx(dmn, path)
    assert list(sheet_rows(path)[0]) == HEADER
    import_file(path, "9.9.9")
    copy = get_version("DMN", "9.9.9")

    def content(version):
        return [
            (
                r.code,
                r.section.label,
                r.bloc,
                r.function,
                r.nature,
                r.statement,
                r.is_example,
                sorted(p.code for p in r.profiles.all()),
                [
                    (s.code, s.text, [p.description for p in s.proofs.all()])
                    for s in r.scenarios.all()
                ],
            )
            for r in version.requirements.order_by("position")
        ]

    assert content(copy) == content(dmn)
    assert all(r.is_example for r in copy.requirements.all())


def test_r_ref_1_catalogue_shape(dmn, tlc):
    for version in (dmn, tlc):
        assert version.requirements.exists()
        for scenario in Scenario.objects.filter(version=version):
            assert 1 <= scenario.proofs.count() <= 3
    assert dmn.requirements.get(code="IEU 9").scenarios.filter(code="IEU 9.1").exists()
    assert set(dmn.sections.values_list("code", flat=True)) >= {
        "INS",
        "PSC",
        "ANN",
        "PORT",
        "APCV",
        "IEPS",
        "IEU",
        "ADM",
        "RGPD",
    }
    assert set(tlc.sections.values_list("code", flat=True)) >= {"ORD", "HDS"}
    assert dmn.specifications.filter(code="HAS1").exists()


def test_r_ref_1_loading_the_catalogue_twice_duplicates_nothing(catalogue):
    from guichet.referentials.services import load_catalogue

    before = snapshot()
    assert load_catalogue() == []
    assert snapshot() == before


def test_r_ref_7_generic_line_has_five_pathologies_the_fifth_to_come(catalogue):
    from guichet.referentials.models import Pathway

    line = Pathway.objects.get(referential__code="DMN", code="ligne_generique")
    pathologies = list(line.pathologies.all())
    assert [p.specification_code for p in pathologies] == ["HAS1", "HAS2", "HAS3", "HAS4", "HAS5"]
    assert [p.is_available for p in pathologies] == [True, True, True, True, False]


def test_r_ref_2_export_command_writes_the_file(dmn, tmp_path):
    out = tmp_path / "dmn.xlsx"
    call_command(
        "export_referential",
        str(out),
        "--referential",
        "DMN",
        "--version",
        "1.2.2",
        stdout=io.StringIO(),
    )
    rows = sheet_rows(out)
    assert len(rows) - 1 == Scenario.objects.filter(version=dmn).count()


@pytest.mark.parametrize(
    "requirement_header",
    [
        "ID exigence",
        "Exigence",
        "N° exigence",
        "Numéro d'exigence",
        "Référence de l'exigence",
        "Id",
    ],
)
def test_r_ref_2_requirement_id_column_is_found_under_its_usual_names(
    catalogue, tmp_path, requirement_header
):
    header = [requirement_header if h == "ID exigence" else h for h in HEADER]
    import_file(xlsx(tmp_path, [row("ADM 4", "ADM 4.1")], header=header))
    assert get_version("DMN", "1.2.3").requirements.get().code == "ADM 4"
