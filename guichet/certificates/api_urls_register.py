"""API: the register and its open data (issue 13 §2)."""

from django.urls import path

from guichet.certificates import api_register as api

urlpatterns = [
    path("register/", api.RegisterListApi.as_view(), name="register"),
    path("register.csv", api.RegisterCsvApi.as_view(), name="register-csv"),
    path("register.json", api.RegisterJsonApi.as_view(), name="register-json"),
    path("register/schema.json", api.RegisterSchemaApi.as_view(), name="register-schema"),
    # R-PUB-2: the applications in progress whose planned date is published.
    path("applications-in-progress/", api.InProgressListApi.as_view(), name="in-progress"),
    path("applications-in-progress.csv", api.InProgressCsvApi.as_view(), name="in-progress-csv"),
    path(
        "applications-in-progress.json",
        api.InProgressJsonApi.as_view(),
        name="in-progress-json",
    ),
    path(
        "applications-in-progress/schema.json",
        api.InProgressSchemaApi.as_view(),
        name="in-progress-schema",
    ),
]
