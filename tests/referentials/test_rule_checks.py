"""The pure parts of the rules editor: conditions in French words, and the validation of a
whole rule set that refuses what the evaluator could not use (issue 10 §3, R-REF-4)."""

import pytest

from guichet.referentials.rules import check_rules, describe_condition, describe_rule

QUESTIONS = {
    "patient_access": {
        "key": "patient_access",
        "type": "boolean",
        "label": "Le produit offre-t-il un accès aux patients ?",
    },
    "deployment": {
        "key": "deployment",
        "type": "choice",
        "label": "Où le SI est-il déployé ?",
        "choices": [
            {"value": "societe", "label": "En société de téléconsultation"},
            {"value": "ville", "label": "En médecine de ville"},
            {"value": "es", "label": "En établissement de santé"},
        ],
    },
}
LABELS = {"usager": "Accès Usager", "esclave": "Esclave de l'identité", "general": "Général"}


def words(condition):
    return describe_condition(condition, questions=QUESTIONS, labels=LABELS)


def test_r_ref_4_condition_on_a_yes_no_answer_reads_as_the_question():
    assert (
        words({"answer": "patient_access", "equals": True})
        == "si la réponse à “Le produit offre-t-il un accès aux patients ?” est oui"
    )
    assert words({"answer": "patient_access", "equals": False}).endswith("est non")


def test_r_ref_4_conditions_in_words_cover_the_whole_language():
    assert words(None) == "toujours"
    assert (
        words({"answer": "deployment", "in": ["societe", "ville"]})
        == "si la réponse à “Où le SI est-il déployé ?” est “En société de téléconsultation” "
        "ou “En médecine de ville”"
    )
    assert words({"profile": "usager"}) == "si le profil « Accès Usager » est sélectionné"
    assert words({"not": {"profile": "esclave"}}) == (
        "si le profil « Esclave de l'identité » n'est pas sélectionné"
    )
    assert words({"not": {"answer": "deployment", "in": ["societe", "ville"]}}).endswith(
        "n'est ni “En société de téléconsultation” ni “En médecine de ville”"
    )
    assert words(
        {
            "all": [
                {"answer": "deployment", "equals": "es"},
                {"any": [{"profile": "usager"}, {"not": {"profile": "esclave"}}]},
            ]
        }
    ) == (
        "si la réponse à “Où le SI est-il déployé ?” est “En établissement de santé” et "
        "(le profil « Accès Usager » est sélectionné ou le profil « Esclave de l'identité » "
        "n'est pas sélectionné)"
    )
    assert words({"not": {"all": [{"profile": "usager"}, {"profile": "esclave"}]}}).startswith(
        "s'il est faux que ("
    )
    # What the agency may have mistyped is shown, never hidden.
    assert "“couleur” (question inconnue)" in words({"answer": "couleur", "equals": True})


def test_r_ref_4_a_rule_reads_as_one_sentence():
    rule = {
        "code": "usager",
        "kind": "mandatory_when",
        "condition": {"answer": "patient_access", "equals": True},
        "profiles": ["usager"],
        "message": "…",
    }
    assert describe_rule(rule, questions=QUESTIONS, labels=LABELS) == (
        "Si la réponse à “Le produit offre-t-il un accès aux patients ?” est oui : "
        "« Accès Usager » est obligatoire."
    )
    always = {"code": "g", "kind": "always", "profiles": ["general"], "message": "…"}
    assert describe_rule(always, questions=QUESTIONS, labels=LABELS) == (
        "Dans tous les cas : « Général » est obligatoire."
    )


def rule(**overrides):
    return {
        "code": "r",
        "kind": "mandatory_when",
        "condition": {"answer": "patient_access", "equals": True},
        "profiles": ["usager"],
        "message": "Message.",
        **overrides,
    }


def problems_of(*rules):
    return " ".join(check_rules(list(rules), list(LABELS), questions=list(QUESTIONS.values())))


def test_r_ref_4_a_sound_rule_set_has_no_problem():
    assert problems_of(rule(), rule(code="g", kind="always", condition=None)) == ""


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (rule(profiles=["inconnu"]), "profil inconnu inconnu"),
        (rule(condition={"answer": "couleur", "equals": True}), "« couleur » n'existe pas"),
        (rule(condition={"answer": "patient_access", "equals": "oui"}), "oui (true) ou non"),
        (rule(condition={"answer": "deployment", "equals": "lune"}), "valeur inconnue « lune »"),
        (rule(condition={"answer": "patient_access"}), "soit « equals »"),
        (rule(condition={"answer": "deployment", "in": []}), "liste non vide"),
        (rule(condition={"all": []}), "« all » attend une liste non vide"),
        (rule(condition={"profil": "usager"}), "condition mal formée"),
        (rule(condition=["usager"]), "n'est pas un objet JSON"),
        (rule(kind="bizarre"), "type inconnu « bizarre »"),
        (rule(message="  "), "le message"),
        (rule(kind="always"), "n'a pas de condition"),
        (rule(condition=None), "ajoutez une condition"),
        (rule(kind="warning"), "un avertissement ne vise aucun profil"),
        (rule(kind="optional", profiles=[]), "aucun profil visé"),
        (rule(kind="exactly_one_of", profiles=["usager"]), "au moins deux profils"),
        (
            rule(
                condition={
                    "all": [
                        {"answer": "patient_access", "equals": True},
                        {"answer": "patient_access", "equals": False},
                    ]
                }
            ),
            "ne peut jamais être remplie",
        ),
        (
            rule(condition={"all": [{"profile": "usager"}, {"not": {"profile": "usager"}}]}),
            "ne peut jamais être remplie",
        ),
    ],
)
def test_r_ref_4_a_bad_rule_is_refused_with_a_french_reason(bad, says):
    assert says in problems_of(bad)


def test_r_ref_4_two_rules_with_one_code_are_refused():
    assert "Deux règles portent l'identifiant « r »" in problems_of(rule(), rule())


def test_r_ref_5_exactly_one_of_two_always_selected_profiles_can_never_be_satisfied():
    problems = problems_of(
        rule(code="g", kind="always", condition=None, profiles=["general", "usager"]),
        rule(code="one", kind="exactly_one_of", condition=None, profiles=["general", "usager"]),
    )
    assert "« exactement un profil parmi » ne pourrait jamais être respectée" in problems


@pytest.mark.parametrize(
    ("questions", "says"),
    [
        ([QUESTIONS["patient_access"], QUESTIONS["patient_access"]], "Deux questions"),
        ([{"key": "q", "type": "choice", "label": "Q ?", "choices": []}], "au moins deux choix"),
        ([{"key": "q", "type": "texte", "label": "Q ?"}], "type inconnu « texte »"),
        ([{"key": "q", "type": "boolean", "label": ""}], "le libellé"),
        (
            [
                {
                    "key": "q",
                    "type": "boolean",
                    "label": "Q ?",
                    "asked_when": {"answer": "patient_access", "equals": True},
                },
                QUESTIONS["patient_access"],
            ],
            "qui doit venir avant elle",
        ),
        (
            [
                QUESTIONS["patient_access"],
                {
                    "key": "q",
                    "type": "boolean",
                    "label": "Q ?",
                    "asked_when": {"profile": "usager"},
                },
            ],
            "ne porte que sur des réponses",
        ),
    ],
)
def test_r_ref_4_a_bad_questionnaire_is_refused_with_a_french_reason(questions, says):
    assert says in " ".join(check_rules([], list(LABELS), questions=questions))
