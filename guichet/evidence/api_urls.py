from django.urls import path

from guichet.evidence import api

urlpatterns = [
    path("applications/<int:pk>/evidence/", api.EvidenceApi.as_view(), name="evidence"),
    path(
        "applications/<int:pk>/evidence/<int:proof>/files",
        api.EvidenceUploadApi.as_view(),
        name="evidence-upload",
    ),
    path(
        "applications/<int:pk>/sections/<str:section>/submit",
        api.SectionSubmitApi.as_view(),
        name="section-submit",
    ),
]
