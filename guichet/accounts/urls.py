from django.urls import path, reverse_lazy

from guichet.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("jeton/revoquer/", views.token_revoke, name="token-revoke"),
    path("cgu/", views.terms_accept, name="terms"),
    path("agence/cgu/", views.terms_manage, name="terms-manage"),
    path("organisation/", views.members, name="members"),
    path("organisation/membres/<int:pk>/retirer/", views.member_remove, name="member-remove"),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.SetPasswordView.as_view(
            template_name="accounts/set_password.html",
            success_url=reverse_lazy("account_login"),
        ),
        name="set-password",
    ),
    path("demande/", views.registration_request, name="registration"),
    path("demande/envoyee/", views.registration_sent, name="registration-sent"),
    path("agence/demandes/", views.registration_queue, name="registration-queue"),
    path("agence/demandes/<int:pk>/", views.registration_decide, name="registration-decide"),
]
