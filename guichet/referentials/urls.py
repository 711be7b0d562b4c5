from django.urls import path, register_converter

from guichet.referentials import views

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
]
