from django.urls import path

from guichet.accounts import api

urlpatterns = [
    path("registrations/", api.RegistrationCreateApi.as_view(), name="registration-create"),
    path(
        "registrations/<int:pk>/approve",
        api.RegistrationApproveApi.as_view(),
        name="registration-approve",
    ),
    path(
        "registrations/<int:pk>/reject",
        api.RegistrationRejectApi.as_view(),
        name="registration-reject",
    ),
]
