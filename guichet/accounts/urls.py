from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from guichet.accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/set_password.html",
            success_url=reverse_lazy("accounts:login"),
        ),
        name="set-password",
    ),
    path("demande/", views.registration_request, name="registration"),
    path("demande/envoyee/", views.registration_sent, name="registration-sent"),
    path("agence/demandes/", views.registration_queue, name="registration-queue"),
    path("agence/demandes/<int:pk>/", views.registration_decide, name="registration-decide"),
]
