from django.urls import path

from guichet.applications import api

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="product-list"),
    path("products/<int:pk>/", api.ProductDetailApi.as_view(), name="product-detail"),
    path("applications/", api.ApplicationListApi.as_view(), name="application-list"),
    path("applications/<int:pk>/", api.ApplicationDetailApi.as_view(), name="application-detail"),
    path(
        "applications/<int:pk>/submit",
        api.ApplicationSubmitApi.as_view(),
        name="application-submit",
    ),
    path(
        "applications/<int:pk>/transitions/<str:name>",
        api.TransitionApi.as_view(),
        name="application-transition",
    ),
    path(
        "applications/<int:pk>/journal",
        api.ApplicationJournalApi.as_view(),
        name="application-journal",
    ),
    path("applications/<int:pk>/documents/", api.DocumentListApi.as_view(), name="document-list"),
    path(
        "applications/<int:pk>/documents/<str:item>/files",
        api.DocumentUploadApi.as_view(),
        name="document-upload",
    ),
    path(
        "applications/<int:pk>/documents/files/<uuid:file_id>",
        api.DocumentFileApi.as_view(),
        name="document-file",
    ),
    path(
        "applications/<int:pk>/files/<uuid:file_id>", api.ApplicationFileApi.as_view(), name="file"
    ),
    path(
        "applications/<int:pk>/admissibility/", api.AdmissibilityApi.as_view(), name="admissibility"
    ),
    path(
        "applications/<int:pk>/admissibility/decision",
        api.DecisionApi.as_view(),
        name="admissibility-decision",
    ),
    path(
        "applications/<int:pk>/admissibility/<str:item>/verdict",
        api.VerdictApi.as_view(),
        name="admissibility-verdict",
    ),
    path(
        "applications/<int:pk>/pathologies",
        api.ApplicationPathologiesApi.as_view(),
        name="application-pathologies",
    ),
    path(
        "applications/<int:pk>/version",
        api.ApplicationVersionApi.as_view(),
        name="application-version",
    ),
]
