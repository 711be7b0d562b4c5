"""The profile rules evaluator, on the shipped DMN and TLC rules (R-REF-3, R-REF-4, R-REF-5)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.common.errors import ApplicationError
from guichet.referentials import rules
from guichet.referentials.examples import catalogue_examples
from guichet.referentials.selectors import evaluate_profiles

pytestmark = pytest.mark.django_db


def labels(version, codes):
    by_code = {p.code: p.label for p in version.profiles.all()}
    return {by_code[code] for code in codes}


# --- DMN, the three worked examples of the guide §3 (shipped as data, shared with the preview) -

DMN_EXAMPLES = catalogue_examples("DMN", "1.2.2")


def test_r_ref_4_dmn_guide_ships_its_three_worked_examples():
    assert [example.code for example in DMN_EXAMPLES] == ["exemple_1", "exemple_2", "exemple_3"]


@pytest.mark.parametrize("example", DMN_EXAMPLES, ids=lambda example: example.code)
def test_r_ref_4_dmn_guide_example_gives_exactly_its_profiles(dmn, example):
    result = evaluate_profiles(dmn, answers=example.answers)
    assert set(result.profiles) == set(example.profiles)
    assert result.violations == []


def test_r_ref_4_dmn_examples_name_the_guides_profiles(dmn):
    """The guide's own words for each example (§3)."""
    assert labels(dmn, DMN_EXAMPLES[0].profiles) == {"Général"}
    assert labels(dmn, DMN_EXAMPLES[1].profiles) == {
        "Général",
        "Accès Professionnel de Santé",
        "Référentiel d'identité",
        "Référentiel d'identités en Etablissement de Santé",
        "Accès Usager",
        "Accès Usager – ApCV",
    }
    assert labels(dmn, DMN_EXAMPLES[2].profiles) == {
        "Général",
        "Référentiel d'identité",
        "Référentiel d'identités hors Etablissement de Santé",
        "Accès Usager",
    }


def test_r_ref_4_general_is_always_selected(dmn):
    result = evaluate_profiles(dmn, profiles=["acces_usager"])
    assert [v["rule"] for v in result.violations] == ["general_toujours"]


def test_r_ref_4_apcv_without_usager_is_refused(dmn):
    result = evaluate_profiles(dmn, profiles=["general", "acces_usager_apcv"])
    assert result.violations[0]["rule"] == "apcv_exige_acces_usager"
    assert "Accès Usager" in result.violations[0]["detail"]
    assert (
        evaluate_profiles(dmn, profiles=["general", "acces_usager", "acces_usager_apcv"]).violations
        == []
    )


def test_r_ref_4_identity_referential_without_setting_is_refused(dmn):
    result = evaluate_profiles(dmn, profiles=["general", "referentiel_identite"])
    assert [v["rule"] for v in result.violations] == ["ri_exige_un_cadre"]
    from_answers = evaluate_profiles(dmn, answers={"creates_identities": True})
    assert [v["rule"] for v in from_answers.violations] == ["ri_exige_un_cadre"]


def test_r_ref_4_patient_access_makes_usager_mandatory_and_warns_about_two_factor(dmn):
    result = evaluate_profiles(dmn, answers={"patient_access": True})
    assert "acces_usager" in result.profiles
    assert any("IEU 9.1" in w["detail"] for w in result.warnings)
    missing = evaluate_profiles(dmn, answers={"patient_access": True}, profiles=["general"])
    assert any(v.get("profile") == "acces_usager" for v in missing.violations)


def test_r_ref_4_identity_document_storage_stays_optional(dmn):
    result = evaluate_profiles(dmn, answers={"stores_identity_document_copies": True})
    assert "stockage_titres_identite" not in result.profiles
    assert "stockage_titres_identite" in result.optional


# --- TLC, the use-case table of the guide §3 (shipped as data, shared with the preview) -----

TLC_ROWS = catalogue_examples("TLC", "1.4.2")
HDS = {"tiers_certifie": "hds_tiers", "candidat": "hds_candidat"}


def test_r_ref_5_tlc_guide_ships_each_row_of_its_table():
    assert [row.answers["deployment"] for row in TLC_ROWS] == [
        "societe_teleconsultation",
        "etablissement_sante",
        "medecine_ville",
    ]


@pytest.mark.parametrize("row", TLC_ROWS, ids=lambda row: row.code)
@pytest.mark.parametrize("hds_host", HDS)
def test_r_ref_5_tlc_table_row_gives_its_mandatory_and_optional_profiles(tlc, row, hds_host):
    # Either HDS answer fits every row: "one HDS profile".
    mandatory = (set(row.profiles) - set(HDS.values())) | {HDS[hds_host]}
    result = evaluate_profiles(tlc, answers={**row.answers, "hds_host": hds_host})
    assert set(result.profiles) == mandatory
    assert set(result.optional) == set(row.optional)
    assert result.violations == []


def test_r_ref_5_two_hds_profiles_are_refused(tlc):
    result = evaluate_profiles(tlc, profiles=["general", "hds_tiers", "hds_candidat"])
    assert [v["rule"] for v in result.violations] == ["un_seul_profil_hds"]


def test_r_ref_5_no_hds_profile_is_refused(tlc):
    result = evaluate_profiles(tlc, profiles=["general"])
    assert [v["rule"] for v in result.violations] == ["un_seul_profil_hds"]
    unanswered = evaluate_profiles(tlc, answers={"deployment": "medecine_ville"})
    assert [v["rule"] for v in unanswered.violations] == ["un_seul_profil_hds"]


def test_r_ref_5_table_missing_profile_for_deployment_is_refused(tlc):
    result = evaluate_profiles(
        tlc, answers={"deployment": "medecine_ville"}, profiles=["general", "hds_tiers"]
    )
    missing = {v["profile"] for v in result.violations if "profile" in v}
    assert missing == {"referentiel_identite", "ordonnance_numerique", "ri_insi_cv"}


def test_r_ref_5_known_ambiguity_is_a_warning_not_an_error(tlc):
    result = evaluate_profiles(
        tlc, answers={"deployment": "etablissement_sante", "hds_host": "candidat"}
    )
    assert result.violations == []
    assert [w["rule"] for w in result.warnings] == ["ambiguite_ordonnance_etablissement"]
    chosen = evaluate_profiles(
        tlc,
        answers={"deployment": "etablissement_sante", "hds_host": "candidat"},
        profiles=[
            "general",
            "esclave_identite",
            "ri_insi_cv",
            "hds_candidat",
            "ordonnance_numerique",
        ],
    )
    assert chosen.warnings == [] and chosen.violations == []
    societe = evaluate_profiles(tlc, answers={"deployment": "societe_teleconsultation"})
    assert [w["rule"] for w in societe.warnings] == ["ambiguite_esclave_societe_ville"]


def test_r_ref_4_rules_are_data_of_the_version(dmn):
    """Editing a rule row changes the verdict, without code."""
    rule = dmn.profile_rules.get(code="stockage_optionnel_si_copies")
    rule.kind = "mandatory_when"
    rule.save()
    result = evaluate_profiles(dmn, answers={"stores_identity_document_copies": True})
    assert "stockage_titres_identite" in result.profiles


def test_r_ref_3_unknown_profile_or_answer_is_named(dmn):
    with pytest.raises(ApplicationError, match="inexistant"):
        evaluate_profiles(dmn, profiles=["general", "inexistant"])
    with pytest.raises(ApplicationError, match="couleur"):
        evaluate_profiles(dmn, answers={"couleur": True})
    with pytest.raises(ApplicationError, match="lune"):
        evaluate_profiles(dmn, answers={"identity_setting": "lune"})


def test_r_ref_3_labels_are_accepted_as_profile_names(dmn):
    result = evaluate_profiles(dmn, profiles=["Général", "Accès Usager"])
    assert result.profiles == ["general", "acces_usager"]


# --- the pure evaluator ------------------------------------------------------------------

RULES = [
    {"code": "a", "kind": "always", "profiles": ["G"], "message": "G"},
    {
        "code": "r",
        "kind": "requires",
        "condition": {"profile": "X"},
        "profiles": ["Y"],
        "message": "X exige Y",
    },
    {"code": "e", "kind": "exactly_one_of", "profiles": ["H1", "H2"], "message": "un H"},
]
CODES = ["G", "X", "Y", "H1", "H2"]


@given(st.sets(st.sampled_from(CODES)))
def test_r_ref_4_a_choice_is_valid_exactly_when_every_rule_holds(selected):
    result = rules.evaluate(RULES, order=CODES, selected=selected)
    expected = (
        "G" in selected
        and ("X" not in selected or "Y" in selected)
        and len(selected & {"H1", "H2"}) == 1
    )
    assert result.is_valid == expected
    assert set(result.profiles) == selected


def test_r_ref_4_malformed_rules_are_reported():
    problems = rules.check_rules(
        [{"code": "z", "kind": "bizarre", "profiles": ["Q"], "message": ""}], ["G"]
    )
    assert any("type inconnu" in p for p in problems)
    assert any("Q" in p for p in problems)
