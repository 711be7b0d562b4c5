"""The agency edits a version's profile rules and questionnaire on its own pages, in a draft
previewed on the guides' examples, then published in one journaled transaction (issue 10 §3,
R-REF-4, R-REF-5, R-REF-6)."""

import html
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.accounts.models import Organisation, Role, User
from guichet.common.errors import ApplicationError
from guichet.journal.models import JournalEntry
from guichet.referentials import rule_drafts, services
from guichet.referentials.examples import worked_examples
from guichet.referentials.models import ProfileRule, Question, RuleDraft
from guichet.referentials.selectors import evaluate_profiles
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PATIENT_QUESTION = "Le produit offre-t-il un accès aux patients (usagers) ?"


@pytest.fixture
def admin_client(client, agency_admin):
    client.force_login(agency_admin)
    return client


def url(name, version, *args):
    return reverse(f"referentials:{name}", args=[version.pk, *args])


def rule_post(**fields):
    """A rule form as the browser sends it (the condition built with the selects)."""
    data = {"kind": "mandatory_when", "combinator": "all", "message": "Message.", **fields}
    return {key: value for key, value in data.items() if value is not None}


def published_codes(version):
    return list(version.profile_rules.values_list("code", flat=True))


def example(version, code):
    return next(e for e in worked_examples(version) if e.code == code)


# --- who may ------------------------------------------------------------------------------


def test_r_act_1_only_agency_admins_edit_profile_rules(client, dmn, instructor):
    organisation = Organisation.objects.create(name="Télésanté", siren="732829320")
    applicant = User.objects.create_user(
        email="resp@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
    )
    pages = [
        url("rules", dmn),
        url("rule-add", dmn),
        url("rule-edit", dmn, "general_toujours"),
        url("question-add", dmn),
        url("rules-preview", dmn),
        url("rules-publish", dmn),
    ]
    actions = [
        url("rule-delete", dmn, "general_toujours"),
        url("rule-move", dmn, "general_toujours"),
        url("question-delete", dmn, "patient_access"),
        url("rules-publish", dmn),
        url("rules-discard", dmn),
    ]
    login = reverse("account_login")
    for page in pages:
        assert client.get(page)["Location"].startswith(login)
    for action in actions:
        response = client.post(action, {"direction": "down", "revision": 1})
        assert response.status_code == 302 and response["Location"].startswith(login)
    for user in (instructor, applicant):
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == 403
        for action in actions:
            assert client.post(action, {"direction": "down", "revision": 1}).status_code == 403
    assert published_codes(dmn)[0] == "general_toujours"
    assert not RuleDraft.objects.exists()


# --- the page in words --------------------------------------------------------------------


def test_r_ref_4_rules_page_shows_questions_and_rules_in_words(admin_client, dmn):
    manage = admin_client.get(reverse("referentials:manage")).content.decode()
    assert url("rules", dmn) in manage and "Règles des profils et questionnaire" in manage
    page = admin_client.get(url("rules", dmn)).content.decode()
    assert f"Si la réponse à “{PATIENT_QUESTION}” est oui : « Accès Usager » est obligatoire." in (
        page
    )
    # The French messages, in order, and when each question is asked.
    assert page.index("general_toujours") < page.index("double_authentification_usagers")
    assert "le profil « Accès Usager » est obligatoire (guide DMN §3)" in page
    assert f"Si la réponse à “{PATIENT_QUESTION}” est oui</td>" in page
    assert "garde" in page and "Les candidatures déjà soumises gardent leurs profils" in page
    assert '{"answer"' not in page


# --- edits in the draft ---------------------------------------------------------------------


def test_r_ref_4_agency_adds_a_rule_built_from_selects_into_a_draft(admin_client, dmn):
    response = admin_client.post(
        url("rule-add", dmn),
        rule_post(
            code="stockage_si_copies",
            profiles=["stockage_titres_identite"],
            clause_1="answer:stores_identity_document_copies:true",
            clause_2="profile:referentiel_identite",
            negate_2="on",
            message="Le produit stocke des copies de titres d'identité.",
        ),
    )
    assert response.status_code == 302
    draft = RuleDraft.objects.get(version=dmn)
    added = draft.rules[-1]
    assert added["condition"] == {
        "all": [
            {"answer": "stores_identity_document_copies", "equals": True},
            {"not": {"profile": "referentiel_identite"}},
        ]
    }
    # Candidates still see the published rules.
    assert "stockage_si_copies" not in published_codes(dmn)
    page = admin_client.get(url("rules", dmn)).content.decode()
    assert "Brouillon de règles en cours, non publié" in page
    assert "le profil « Référentiel d&#x27;identité » n&#x27;est pas sélectionné" in page
    # The edit page shows the rule back in the selects.
    edit = admin_client.get(url("rule-edit", dmn, "stockage_si_copies"))
    assert edit.context["form"].initial["negate_2"] is True


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"code": "Règle 1"}, "lettres minuscules sans accent"),
        ({"condition_json": "{answer: 1"}, "JSON invalide (ligne 1"),
        (
            {"condition_json": json.dumps({"answer": "couleur", "equals": True})},
            "La question « couleur » n&#x27;existe pas",
        ),
        (
            {"condition_json": json.dumps({"answer": "identity_setting", "equals": "lune"})},
            "Valeur inconnue « lune »",
        ),
        ({"condition_json": '{"profil": "general"}'}, "Condition mal formée"),
        (
            {"clause_1": "answer:patient_access:true", "condition_json": "null"},
            "soit les listes, soit le champ avancé",
        ),
        (
            {
                "clause_1": "answer:patient_access:true",
                "clause_2": "answer:patient_access:true",
                "negate_2": "on",
            },
            "ne peut jamais être remplie",
        ),
        ({"kind": "warning"}, "Un avertissement ne vise aucun profil"),
        (
            {"code": "general_toujours"},
            "Deux règles portent l&#x27;identifiant « general_toujours »",
        ),
        ({"kind": "always"}, "n&#x27;a pas de condition"),
        ({"kind": "exactly_one_of"}, "au moins deux profils"),
        ({"profiles": []}, "aucun profil visé"),
        ({"profiles": ["inexistant"]}, "Sélectionnez un choix valide"),
        ({"message": ""}, "Ce champ est obligatoire"),
    ],
)
def test_r_ref_4_an_invalid_rule_never_reaches_the_database(admin_client, dmn, fields, says):
    data = rule_post(
        code="nouvelle",
        profiles=["acces_usager"],
        clause_1="answer:patient_access:true",
    )
    if "condition_json" in fields and "clause_1" not in fields:
        data.pop("clause_1")
    data.update(fields)
    response = admin_client.post(url("rule-add", dmn), data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not RuleDraft.objects.exists()
    assert "nouvelle" not in published_codes(dmn)


def test_r_ref_4_advanced_json_condition_is_accepted_and_shown_back(admin_client, dmn):
    condition = {"answer": "identity_setting", "in": ["etablissement_sante"]}
    response = admin_client.post(
        url("rule-add", dmn),
        rule_post(
            code="avance",
            kind="optional",
            profiles=["stockage_titres_identite"],
            condition_json=json.dumps(condition),
        ),
    )
    assert response.status_code == 302
    assert RuleDraft.objects.get().rules[-1]["condition"] == condition
    edit = admin_client.get(url("rule-edit", dmn, "avance"))
    assert json.loads(edit.context["form"].initial["condition_json"]) == condition


def test_r_ref_4_an_edit_that_breaks_another_rule_is_refused(admin_client, dmn):
    """Deleting a profile's choice would leave rules naming it: refused, draft unchanged."""
    response = admin_client.post(
        url("question-edit", dmn, "identity_setting"),
        {
            "key": "identity_setting",
            "type": "choice",
            "label": "Où le référentiel d'identités est-il déployé ?",
            "choices": "etablissement_sante | En établissement de santé\nailleurs | Ailleurs",
            "combinator": "all",
            "clause_1": "answer:creates_identities:true",
        },
    )
    assert response.status_code == 400
    assert "valeur inconnue « hors_etablissement_sante »" in response.content.decode()
    assert not RuleDraft.objects.exists()


def test_r_ref_4_agency_reorders_and_deletes_rules_in_the_draft(admin_client, dmn):
    admin_client.post(url("rule-move", dmn, "acces_usager_si_acces_patient"), {"direction": "up"})
    draft = RuleDraft.objects.get()
    codes = [r["code"] for r in draft.rules]
    assert codes.index("acces_usager_si_acces_patient") < codes.index(
        "acces_pro_si_acces_professionnel"
    )
    admin_client.post(url("rule-delete", dmn, "stockage_optionnel"))
    draft.refresh_from_db()
    assert "stockage_optionnel" not in [r["code"] for r in draft.rules]
    assert draft.revision == 2
    assert "stockage_optionnel" in published_codes(dmn)


def test_r_ref_4_questions_are_added_renamed_and_deleted_as_data(admin_client, dmn):
    response = admin_client.post(
        url("question-add", dmn),
        {
            "key": "hosting",
            "type": "choice",
            "label": "Qui héberge les données ?",
            "choices": "tiers | Un tiers certifié HDS\n\ncandidat | Le candidat",
            "combinator": "all",
            "clause_1": "answer:patient_access:true",
        },
    )
    assert response.status_code == 302
    added = RuleDraft.objects.get().questions[-1]
    assert added["choices"] == [
        {"value": "tiers", "label": "Un tiers certifié HDS"},
        {"value": "candidat", "label": "Le candidat"},
    ]
    assert added["asked_when"] == {"answer": "patient_access", "equals": True}
    # Bad input, with the line named.
    bad = admin_client.post(
        url("question-add", dmn),
        {"key": "x", "type": "choice", "label": "X ?", "choices": "a | A\nB sans valeur"},
    )
    assert bad.status_code == 400 and "Ligne 2 : écrivez « valeur | libellé »" in (
        bad.content.decode()
    )
    yes_no = admin_client.post(
        url("question-add", dmn),
        {"key": "x", "type": "boolean", "label": "X ?", "choices": "a | A\nb | B"},
    )
    assert "Une question oui / non n&#x27;a pas de choix" in yes_no.content.decode()
    # Renaming a key carries it into the rules that name it.
    admin_client.post(
        url("question-edit", dmn, "patient_access"),
        {
            "key": "acces_patient",
            "type": "boolean",
            "label": PATIENT_QUESTION,
            "combinator": "all",
        },
    )
    draft = RuleDraft.objects.get()
    rule = next(r for r in draft.rules if r["code"] == "acces_usager_si_acces_patient")
    assert rule["condition"] == {"answer": "acces_patient", "equals": True}
    asked = next(q for q in draft.questions if q["key"] == "patient_auth_apcv")
    assert asked["asked_when"] == {"answer": "acces_patient", "equals": True}
    # A question a rule uses is not deleted.
    refused = admin_client.post(url("question-delete", dmn, "acces_patient"), follow=True)
    assert "est utilisée par la règle acces_usager_si_acces_patient" in refused.content.decode()
    assert "acces_patient" in [q["key"] for q in RuleDraft.objects.get().questions]


# --- preview, publication -------------------------------------------------------------------


def make_usager_optional(client, version):
    """« Accès Usager » merely proposed to a product with patient access."""
    response = client.post(
        url("rule-edit", version, "acces_usager_si_acces_patient"),
        rule_post(
            code="acces_usager_si_acces_patient",
            kind="optional",
            profiles=["acces_usager"],
            clause_1="answer:patient_access:true",
            message="Le profil « Accès Usager » est proposé.",
        ),
    )
    assert response.status_code == 302


def test_r_ref_4_preview_shows_which_guide_examples_change(admin_client, dmn):
    make_usager_optional(admin_client, dmn)
    response = admin_client.get(url("rules-preview", dmn))
    page = response.content.decode()
    comparisons = {c.example.code: c for c in response.context["preview"].comparisons}
    # Example 3 loses « Accès Usager » (now only proposed); in example 2 the ApCV profile still
    # requires it; example 1 has no patient access.
    assert comparisons["exemple_3"].changed
    assert not comparisons["exemple_2"].changed and not comparisons["exemple_1"].changed
    assert "acces_usager" not in comparisons["exemple_3"].draft.profiles
    assert not comparisons["exemple_3"].draft_matches_guide
    assert '<section class="fr-mb-5w" id="exemple-exemple_3" data-changed="oui">' in page
    assert 'id="exemple-exemple_2" data-changed="non"' in page
    assert '<li data-state="removed"><del>Accès Usager</del>' in page
    assert "1 exemple du guide change de résultat" in page
    assert "ne correspond plus à ce que donne le guide" in page
    assert "Règles modifiées : acces_usager_si_acces_patient" in page


def test_r_ref_4_publish_asks_confirmation_then_journals_and_changes_the_evaluation(
    admin_client, dmn, agency_admin
):
    make_usager_optional(admin_client, dmn)
    third = example(dmn, "exemple_3")
    assert "acces_usager" in evaluate_profiles(dmn, answers=third.answers).profiles
    confirm = admin_client.get(url("rules-publish", dmn))
    assert confirm.status_code == 200
    assert "Je confirme la publication bien que des exemples du guide changent" in (
        confirm.content.decode()
    )
    revision = confirm.context["form"].initial["revision"]
    refused = admin_client.post(url("rules-publish", dmn), {"revision": revision})
    assert refused.status_code == 400
    assert "confirmez explicitement la publication" in refused.content.decode()
    assert ProfileRule.objects.get(version=dmn, code="acces_usager_si_acces_patient").kind == (
        "mandatory_when"
    )
    done = admin_client.post(
        url("rules-publish", dmn), {"revision": revision, "confirm_changes": "on"}, follow=True
    )
    assert "sont publiés" in done.content.decode()
    assert "Les candidatures déjà soumises gardent leurs profils" in done.content.decode()
    assert ProfileRule.objects.get(version=dmn, code="acces_usager_si_acces_patient").kind == (
        "optional"
    )
    assert "acces_usager" not in evaluate_profiles(dmn, answers=third.answers).profiles
    assert not RuleDraft.objects.exists()
    entry = JournalEntry.objects.get(action="referential_version.rules.publish")
    assert entry.actor == agency_admin and entry.object_id == str(dmn.pk)
    before = {r["code"]: r for r in entry.before["rules"]}
    after = {r["code"]: r for r in entry.after["rules"]}
    assert before["acces_usager_si_acces_patient"]["kind"] == "mandatory_when"
    assert after["acces_usager_si_acces_patient"]["kind"] == "optional"
    assert len(entry.after["questions"]) == Question.objects.filter(version=dmn).count()


def test_r_ref_4_a_draft_changed_since_its_preview_is_not_published(admin_client, dmn):
    make_usager_optional(admin_client, dmn)
    revision = admin_client.get(url("rules-publish", dmn)).context["form"].initial["revision"]
    admin_client.post(url("rule-delete", dmn, "stockage_optionnel"))
    response = admin_client.post(
        url("rules-publish", dmn), {"revision": revision, "confirm_changes": "on"}
    )
    assert "modifié depuis l&#x27;aperçu" in response.content.decode()
    assert ProfileRule.objects.filter(version=dmn, code="stockage_optionnel").exists()


def test_r_ref_4_a_draft_older_than_the_published_rules_is_not_published(
    admin_client, dmn, agency_admin
):
    admin_client.post(url("rule-delete", dmn, "stockage_optionnel"))
    rules, questions = services.published_rule_set(dmn)
    services.publish_rules(dmn, rules=rules[:-1], questions=questions, by=agency_admin)
    assert "Les règles publiées ont changé depuis l'ouverture" in (
        admin_client.get(url("rules", dmn)).content.decode()
    )
    with pytest.raises(ApplicationError, match="ont changé depuis l'ouverture"):
        rule_drafts.publish_draft(
            dmn, revision=RuleDraft.objects.get().revision, confirm_changes=True, by=agency_admin
        )
    assert ProfileRule.objects.filter(version=dmn, code="stockage_optionnel").exists()


def test_r_ref_4_discarding_the_draft_keeps_the_published_rules(admin_client, dmn):
    make_usager_optional(admin_client, dmn)
    response = admin_client.post(url("rules-discard", dmn), follow=True)
    assert "Brouillon abandonné" in response.content.decode()
    assert not RuleDraft.objects.exists()
    assert ProfileRule.objects.get(version=dmn, code="acces_usager_si_acces_patient").kind == (
        "mandatory_when"
    )


def test_r_ref_4_publish_rules_refuses_an_invalid_set_and_changes_nothing(dmn, agency_admin):
    rules, questions = services.published_rule_set(dmn)
    bad = [*rules, {"code": "x", "kind": "requires", "profiles": ["nope"], "message": "m"}]
    with pytest.raises(ApplicationError) as refused:
        services.publish_rules(dmn, rules=bad, questions=questions, by=agency_admin)
    assert any("profil inconnu nope" in p for p in refused.value.extra["problems"])
    assert published_codes(dmn) == [r["code"] for r in rules]
    assert not JournalEntry.objects.filter(action="referential_version.rules.publish").exists()


def test_r_ref_5_tlc_preview_runs_each_row_of_the_use_case_table(admin_client, tlc):
    admin_client.post(url("rule-delete", tlc, "ciba_optionnel"))
    preview = admin_client.get(url("rules-preview", tlc)).context["preview"]
    assert [c.example.code for c in preview.comparisons] == [
        "societe_teleconsultation",
        "etablissement_sante",
        "medecine_ville",
    ]
    assert all(c.published_matches_guide for c in preview.comparisons)
    # CIBA stays optional by each row's own rule: nothing changes.
    assert preview.changed_examples == []


# --- R-REF-6: a submitted application keeps its profiles -----------------------------------


@pytest.fixture
def submitted_application(dmn, django_capture_on_commit_callbacks):
    from guichet.applications.services import (
        create_application,
        save_draft,
        save_product,
        submit,
    )
    from tests.fixtures import (
        DMN_ANSWERS,
        DMN_PROFILES,
        complete_dmn_form,
        deposit_required_documents,
    )

    organisation = Organisation.objects.create(name="Télésanté", siren="732829320")
    applicant = User.objects.create_user(
        email="resp@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
    )
    product = save_product(
        by=applicant, name="TéléSuivi", modules=[{"name": "Web", "version": "1"}]
    )
    application = create_application(
        by=applicant,
        product=product,
        product_version="1",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    save_draft(
        by=applicant,
        application=application,
        data={"form": complete_dmn_form(), "answers": DMN_ANSWERS, "profiles": DMN_PROFILES},
    )
    deposit_required_documents(application, applicant)
    with django_capture_on_commit_callbacks(execute=True):
        submit(by=applicant, application=application)
    application.refresh_from_db()
    return application


def test_r_ref_6_publishing_new_rules_keeps_a_submitted_application_profiles(
    client, dmn, agency_admin, instructor, submitted_application, django_capture_on_commit_callbacks
):
    from guichet.applications.models import Status
    from guichet.applications.review import decide, set_verdict
    from guichet.applications.services import save_draft, submit

    application = submitted_application
    # New rules: every product now needs « Accès Professionnel de Santé ».
    rules, questions = services.published_rule_set(dmn)
    for rule in rules:
        if rule["code"] == "acces_pro_si_acces_professionnel":
            rule["condition"] = {"any": [rule["condition"], {"not": rule["condition"]}]}
    services.publish_rules(dmn, rules=rules, questions=questions, by=agency_admin)
    assert "acces_professionnel" in evaluate_profiles(dmn, answers=application.answers).profiles
    application.refresh_from_db()
    assert application.profiles == ["general"]
    # Its pages still show it, and a correction asked later is still resubmitted: its final
    # profiles are not checked again against rules published after its submission.
    applicant = application.created_by
    client.force_login(applicant)
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 200
    assert client.get(reverse("applications:form", args=[application.pk])).status_code == 200
    set_verdict(
        by=instructor,
        application=application,
        item="contact_phone",
        verdict="to_fix",
        comment="Numéro injoignable.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        decide(by=instructor, application=application, decision="request_fixes")
    save_draft(
        by=applicant, application=application, data={"form": {"contact_phone": "0199887766"}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit(by=applicant, application=application)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.profiles == ["general"]


def test_r_ref_6_answers_of_applications_are_never_orphaned(
    admin_client, dmn, agency_admin, submitted_application
):
    """Renaming a question applications answered is refused at publication, with the count."""
    admin_client.post(
        url("question-edit", dmn, "professional_access"),
        {
            "key": "acces_professionnel",
            "type": "boolean",
            "label": "Le produit offre-t-il un accès aux professionnels de santé ?",
            "combinator": "all",
        },
    )
    preview = admin_client.get(url("rules-preview", dmn)).content.decode()
    assert (
        "1 candidature de cette version a répondu avec la question « Le produit offre-t-il un "
        "accès aux professionnels de santé ? », que le brouillon supprime ou change de type : "
        "gardez-le" in html.unescape(preview)
    )
    assert "Publier les règles…" not in preview
    with pytest.raises(ApplicationError, match="1 candidature de cette version a répondu"):
        rule_drafts.publish_draft(
            dmn, revision=RuleDraft.objects.get().revision, confirm_changes=True, by=agency_admin
        )
    assert dmn.questions.filter(key="professional_access").exists()


# --- query counts ---------------------------------------------------------------------------


def grow_rules(version, admin, extra: int):
    rules, questions = services.published_rule_set(version)
    rules = [r for r in rules if not r["code"].startswith("avertissement_")]
    rules += [
        {
            "code": f"avertissement_{i}",
            "kind": "warning",
            "condition": {
                "all": [{"profile": "acces_usager"}, {"answer": "patient_access", "equals": True}]
            },
            "profiles": [],
            "message": f"Avertissement {i}.",
        }
        for i in range(extra)
    ]
    services.publish_rules(version, rules=rules, questions=questions, by=admin)
    rule_drafts.delete_rule(version, code="stockage_optionnel", by=admin)


@pytest.mark.parametrize("name", ["rules", "rules-preview", "rules-publish"])
def test_r_ref_4_rules_pages_query_count_does_not_grow_with_rules(
    admin_client, dmn, agency_admin, name, django_assert_num_queries
):
    admin_client.get(
        reverse("referentials:manage")
    )  # the first request after login saves the session
    counts = []
    for extra in (1, 25):
        grow_rules(dmn, agency_admin, extra)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url(name, dmn))
        assert response.status_code == 200
        counts.append(len(queries.captured_queries))
        rule_drafts.discard_draft(dmn, by=agency_admin)
    # Session, user, terms of use; the version, the draft and its author, the profiles, the
    # published rules and questions (the fingerprint, the comparison); the same whatever the
    # number of rules.
    assert counts[0] == counts[1]
    grow_rules(dmn, agency_admin, 3)
    with django_assert_num_queries(counts[0]):
        admin_client.get(url(name, dmn))
