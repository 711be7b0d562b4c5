from django.urls import path

from guichet.committee import api

urlpatterns = [
    path("committee/sessions/", api.SessionListApi.as_view(), name="committee-sessions"),
    path("committee/sessions/<int:pk>", api.SessionDetailApi.as_view(), name="committee-session"),
    path(
        "committee/sessions/<int:pk>/decisions",
        api.SessionDecisionApi.as_view(),
        name="committee-decisions",
    ),
    path(
        "applications/<int:pk>/decision",
        api.ApplicationDecisionApi.as_view(),
        name="application-decision",
    ),
    path(
        "applications/<int:pk>/decision.pdf",
        api.ApplicationDecisionLetterApi.as_view(),
        name="application-decision-pdf",
    ),
]
