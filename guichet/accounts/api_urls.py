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
    path("auth/token", api.TokenApi.as_view(), name="auth-token"),
    path("organisation/members/", api.MemberListApi.as_view(), name="member-list"),
    path("organisation/members/<int:pk>", api.MemberDetailApi.as_view(), name="member-detail"),
]
