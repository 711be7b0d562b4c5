"""The public referential API (ARCHITECTURE.md contract)."""

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/v1/referentials/"


def test_r_ref_1_lists_referentials_and_versions(api, catalogue):
    response = api.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    dmn = next(r for r in body["results"] if r["code"] == "DMN")
    assert [v["version"] for v in dmn["versions"]] == ["1.2.2"]
    assert {p["code"] for p in dmn["pathways"]} == {
        "nom_de_marque",
        "ligne_generique",
        "pecan",
        "pect",
    }


def test_r_ref_4_version_detail_gives_profiles_with_guide_labels_rules_and_questionnaire(
    api, catalogue
):
    body = api.get(BASE + "DMN/1.2.2/").json()
    labels = {p["label"] for p in body["profiles"]}
    assert {"Général", "Accès Usager – ApCV", "Stockage des copies de titres d'identités"} <= labels
    assert {q["key"] for q in body["questionnaire"]} == {
        "professional_access",
        "patient_access",
        "patient_auth_apcv",
        "creates_identities",
        "identity_setting",
        "stores_identity_document_copies",
    }
    assert any(r["kind"] == "at_least_one_of" for r in body["rules"])
    assert [s["code"] for s in body["sections"]][:2] == ["INS", "PSC"]


def test_r_ref_1_unknown_referential_or_version_is_a_french_problem(api, catalogue):
    for path in (BASE + "XYZ/1.0/", BASE + "DMN/0.0.1/", BASE + "DMN/0.0.1/requirements"):
        response = api.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404
        assert response.json()["detail"]


def test_r_ref_3_requirements_are_filtered_by_profiles_and_paginated(api, dmn):
    everything = api.get(BASE + "DMN/1.2.2/requirements").json()
    general = api.get(BASE + "DMN/1.2.2/requirements?profiles=general").json()
    assert 0 < general["count"] < everything["count"]
    assert all("general" in r["profiles"] for r in general["results"])
    usager = api.get(BASE + "DMN/1.2.2/requirements?profiles=general,acces_usager").json()
    ieu9 = next(r for r in usager["results"] if r["id"] == "IEU 9")
    assert ieu9["scenarios"][0]["id"] == "IEU 9.1"
    assert ieu9["scenarios"][0]["proofs"][0]["position"] == 1
    assert ieu9["is_example"] is True
    assert "IEU 9" not in {r["id"] for r in general["results"]}


def test_r_ref_3_unknown_profile_in_filter_is_named(api, dmn):
    response = api.get(BASE + "DMN/1.2.2/requirements?profiles=general,licorne")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "licorne" in response.json()["detail"]


def test_r_ref_4_profile_check_from_answers(api, dmn):
    response = api.post(
        BASE + "DMN/1.2.2/profile-check",
        {
            "answers": {
                "patient_access": True,
                "creates_identities": True,
                "identity_setting": "hors_etablissement_sante",
            }
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body["profiles"]) == {
        "general",
        "acces_usager",
        "referentiel_identite",
        "ri_hors_etablissement_sante",
    }
    assert body["violations"] == []
    assert isinstance(body["warnings"], list)


def test_r_ref_5_profile_check_refusal_names_the_rule(api, tlc):
    response = api.post(
        BASE + "TLC/1.4.2/profile-check",
        {"profiles": ["general", "hds_tiers", "hds_candidat"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["violations"][0]["rule"] == "un_seul_profil_hds"
    assert response.json()["violations"][0]["detail"]


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"profiles": ["general", "inconnu"]}, "inconnu"),
        ({"answers": {"deployment": "lune"}}, "lune"),
        ({"answers": {"age": 3}}, "age"),
        ({}, "profiles"),
    ],
)
def test_r_ref_5_profile_check_bad_input_is_400_naming_it(api, tlc, payload, named):
    response = api.post(BASE + "TLC/1.4.2/profile-check", payload, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert named in response.json()["detail"]


def test_openapi_schema_and_docs_are_served(api, catalogue):
    schema = api.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/referentials/{code}/{version}/profile-check" in schema.content
    assert api.get("/api/v1/docs/").status_code == 200


def test_unknown_api_path_is_a_problem(client, db):
    response = client.get("/api/v1/nulle-part/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"].startswith("Ressource introuvable")


def test_r_ref_1_draft_versions_are_not_public(api, dmn):
    dmn.state = "draft"
    dmn.save()
    assert api.get(BASE + "DMN/1.2.2/").status_code == 404


def test_r_ref_3_requirements_endpoint_query_count_does_not_grow_with_data(api, dmn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.referentials.test_pages import make_version

    counts = []
    for number, size in (("60.0", 2), ("60.1", 40)):
        make_version(dmn.referential, number, size)
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(BASE + f"DMN/{number}/requirements?profiles=p1")
        assert response.json()["count"] == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_api_docs_load_their_assets_locally(api, db):
    page = api.get("/api/v1/docs/").content.decode()
    assert "cdn.jsdelivr" not in page and "/static/drf_spectacular_sidecar/" in page
