"""API: the register and its open data (issue 13 §2)."""

from django.urls import path

from guichet.certificates import api_register as api

urlpatterns = [
    path("register/", api.RegisterListApi.as_view(), name="register"),
    path("register.csv", api.RegisterCsvApi.as_view(), name="register-csv"),
    path("register.json", api.RegisterJsonApi.as_view(), name="register-json"),
    path("register/schema.json", api.RegisterSchemaApi.as_view(), name="register-schema"),
]
