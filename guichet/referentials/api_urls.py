from django.urls import path

from guichet.referentials import api

urlpatterns = [
    path("referentials/", api.ReferentialListApi.as_view(), name="referential-list"),
    path(
        "referentials/<str:code>/<str:version>/",
        api.VersionDetailApi.as_view(),
        name="referential-version",
    ),
    path(
        "referentials/<str:code>/<str:version>/requirements",
        api.RequirementListApi.as_view(),
        name="referential-requirements",
    ),
    path(
        "referentials/<str:code>/<str:version>/profile-check",
        api.ProfileCheckApi.as_view(),
        name="referential-profile-check",
    ),
]
