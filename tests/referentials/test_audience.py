"""Who reads a rule's message (R-REF-5, issue 19): the TLC guide's ambiguities are warnings
« to the agency »; applicants and the public never read them, the agency does. The audience is
data of the rule, set in the catalogue and in the rules editor."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from guichet.referentials import rules as rules_engine
from guichet.referentials.models import ProfileRule, RuleAudience
from guichet.referentials.rule_forms import RuleForm

pytestmark = pytest.mark.django_db

BASE = "/api/v1/referentials/"
SOCIETE = {"deployment": "societe_teleconsultation", "hds_host": "tiers_certifie"}
AMBIGUITY = "ambiguite_esclave_societe_ville"


def test_r_ref_5_the_guide_ambiguities_are_warnings_for_the_agency(tlc):
    audiences = dict(tlc.profile_rules.filter(kind="warning").values_list("code", "audience"))
    assert audiences == {
        "ambiguite_ordonnance_etablissement": RuleAudience.AGENCY,
        "ambiguite_esclave_societe_ville": RuleAudience.AGENCY,
    }


def test_r_ref_4_the_dmn_warning_on_patient_authentication_is_for_everyone(dmn):
    rule = dmn.profile_rules.get(code="double_authentification_usagers")
    assert rule.audience == RuleAudience.EVERYONE


def test_r_ref_5_profile_check_gives_the_agency_note_to_the_agency_only(api, tlc, instructor):
    url = BASE + "TLC/1.4.2/profile-check"
    public = api.post(url, {"answers": SOCIETE}, format="json").json()
    assert AMBIGUITY not in {w["rule"] for w in public["warnings"]}
    api.force_authenticate(instructor)
    agency = api.post(url, {"answers": SOCIETE}, format="json").json()
    (note,) = [w for w in agency["warnings"] if w["rule"] == AMBIGUITY]
    assert note["audience"] == "agency" and "à vérifier par l'agence" in note["detail"]


def test_r_ref_5_the_public_version_omits_the_agency_notes(api, tlc, applicant, instructor):
    url = BASE + "TLC/1.4.2/"
    for reader in (None, applicant):
        api.force_authenticate(reader)
        codes = {rule["code"] for rule in api.get(url).json()["rules"]}
        assert "general_toujours" in codes and AMBIGUITY not in codes
    api.force_authenticate(instructor)
    rules = {rule["code"]: rule for rule in api.get(url).json()["rules"]}
    assert rules[AMBIGUITY]["audience"] == "agency"


def test_r_ref_5_the_simulator_does_not_show_the_agency_note_to_the_public(client, tlc):
    url = reverse("referentials:simulator", args=["TLC", "1.4.2"])
    page = client.get(url, {"submitted": "1", **SOCIETE}).content.decode()
    assert "Profils retenus" in page and "vérifier par l" not in page


def test_r_ref_5_only_a_warning_may_be_kept_for_the_agency():
    rule = {
        "code": "x",
        "kind": "optional",
        "profiles": ["a"],
        "message": "m",
        "audience": "agency",
    }
    (problem,) = rules_engine.check_rules([rule], ["a"])
    assert "seul un avertissement peut être réservé à l'agence" in problem
    unknown = {"code": "w", "kind": "warning", "message": "m", "audience": "candidat"}
    assert "destinataires inconnus « candidat »" in rules_engine.check_rules([unknown], ["a"])[0]
    fine = {"code": "w", "kind": "warning", "message": "m", "audience": "agency"}
    assert rules_engine.check_rules([fine], ["a"]) == []


def test_r_ref_5_the_rules_editor_sets_the_audience_of_a_warning(tlc):
    data = {"code": "note", "kind": "warning", "message": "À vérifier.", "combinator": "all"}
    form = RuleForm({**data, "audience": "agency"}, profiles=tlc.profiles.all(), questions=[])
    assert form.is_valid(), form.errors
    assert form.rule()["audience"] == "agency"
    refused = RuleForm(
        {**data, "kind": "optional", "profiles": ["ciba"], "audience": "agency"},
        profiles=tlc.profiles.all(),
        questions=[],
    )
    assert not refused.is_valid() and "audience" in refused.errors
    default = RuleForm(data, profiles=tlc.profiles.all(), questions=[])
    assert default.is_valid() and default.rule()["audience"] == "all"


def test_r_ref_5_the_database_refuses_an_agency_audience_on_another_kind(tlc):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ProfileRule.objects.filter(version=tlc, code="ciba_optionnel").update(audience="agency")


def test_r_ref_5_versions_loaded_before_the_audience_take_the_catalogue_one(tlc):
    ProfileRule.objects.filter(version=tlc).update(audience=RuleAudience.EVERYONE)
    migration = importlib.import_module("guichet.referentials.migrations.0009_rule_audience")
    migration.shipped_audiences(apps, None)
    assert set(
        tlc.profile_rules.filter(audience=RuleAudience.AGENCY).values_list("code", flat=True)
    ) == {"ambiguite_ordonnance_etablissement", AMBIGUITY}
