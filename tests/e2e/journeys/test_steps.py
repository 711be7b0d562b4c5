"""The journeys' check of visible text (issue 19 §2), on plain strings: it runs with the suite."""

from tests.e2e.journeys.steps import snake_case_words


def test_a_snake_case_code_in_visible_text_is_found():
    text = "Documents : gdpr_declaration à redéposer ; profil ri_insi_cv, version hds_v2."
    assert snake_case_words(text) == ["gdpr_declaration", "hds_v2", "ri_insi_cv"]


def test_addresses_and_words_are_not_codes():
    text = (
        "Écrivez à alex_petit@cardio-connect.fr ; le schéma est à "
        "http://localhost:8000/register/schema.json?x=a_b et /registre/flux_atom ; "
        "Représentant légal — nom et prénom, SHA-256 0983ae03, « Dossier complet »."
    )
    assert snake_case_words(text) == []
