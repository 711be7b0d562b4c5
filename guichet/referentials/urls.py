from django.urls import path, register_converter

from guichet.referentials import rule_views, views

app_name = "referentials"


class ExportFormat:
    regex = "xlsx|csv"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormat, "fmt")

urlpatterns = [
    path("referentiels/", views.referential_list, name="list"),
    path("referentiels/<str:code>/<str:version>/", views.browse, name="browse"),
    path(
        "referentiels/<str:code>/<str:version>/exigences.<fmt:fmt>",
        views.export_version,
        name="export",
    ),
    path("simulateur/", views.simulator_index, name="simulator-index"),
    path("simulateur/<str:code>/<str:version>/", views.simulator, name="simulator"),
    path(
        "simulateur/<str:code>/<str:version>/exigences-applicables.<fmt:fmt>",
        views.simulator_export,
        name="simulator-export",
    ),
    path("agence/referentiels/", views.manage, name="manage"),
    path("agence/referentiels/import/", views.import_upload, name="import"),
    path("agence/referentiels/import/confirmer/", views.import_confirm, name="import-confirm"),
    path(
        "agence/referentiels/versions/<int:pk>/etat/",
        views.change_version_state,
        name="version-state",
    ),
    path("agence/demarches/<int:pk>/", views.change_pathway, name="pathway"),
    path(
        "agence/referentiels/versions/<int:pk>/preuves-sensibles/",
        views.sensitive_proofs,
        name="sensitive-proofs",
    ),
    # The profile rules and questionnaire of a version, edited in a draft (issue 10 §3).
    path("agence/referentiels/versions/<int:pk>/regles/", rule_views.overview, name="rules"),
    path(
        "agence/referentiels/versions/<int:pk>/regles/regle/nouvelle/",
        rule_views.rule_edit,
        name="rule-add",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/regle/<str:code>/modifier/",
        rule_views.rule_edit,
        name="rule-edit",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/regle/<str:code>/supprimer/",
        rule_views.rule_delete,
        name="rule-delete",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/regle/<str:code>/deplacer/",
        rule_views.rule_move,
        name="rule-move",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/question/nouvelle/",
        rule_views.question_edit,
        name="question-add",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/question/<str:key>/modifier/",
        rule_views.question_edit,
        name="question-edit",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/question/<str:key>/supprimer/",
        rule_views.question_delete,
        name="question-delete",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/question/<str:key>/deplacer/",
        rule_views.question_move,
        name="question-move",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/apercu/",
        rule_views.preview,
        name="rules-preview",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/publier/",
        rule_views.publish,
        name="rules-publish",
    ),
    path(
        "agence/referentiels/versions/<int:pk>/regles/abandonner/",
        rule_views.discard,
        name="rules-discard",
    ),
]
