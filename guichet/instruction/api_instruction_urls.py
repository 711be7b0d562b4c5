from django.urls import path

from guichet.instruction import api_instruction as api

urlpatterns = [
    path("instruction/queue", api.QueueApi.as_view(), name="instruction-queue"),
    path(
        "applications/<int:pk>/assignment",
        api.AssignmentApi.as_view(),
        name="application-assignment",
    ),
    path(
        "applications/<int:pk>/evidence/<int:proof>/verdict",
        api.ProofVerdictApi.as_view(),
        name="evidence-verdict",
    ),
]
