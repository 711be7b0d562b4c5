"""django-allauth's login, password and second-factor flows under French paths (R-ACC-3).

The names stay allauth's own, since allauth reverses them; signup is left out: accounts come
from an approved company request or a responsible's invitation."""

from allauth.account import views
from django.urls import include, path, re_path

urlpatterns = [
    path("connexion/", views.login, name="account_login"),
    path("deconnexion/", views.logout, name="account_logout"),
    path("inactif/", views.account_inactive, name="account_inactive"),
    path("reauthentification/", views.reauthenticate, name="account_reauthenticate"),
    path("mot-de-passe/changer/", views.password_change, name="account_change_password"),
    path("mot-de-passe/definir/", views.password_set, name="account_set_password"),
    path("mot-de-passe/oubli/", views.password_reset, name="account_reset_password"),
    path(
        "mot-de-passe/oubli/envoye/",
        views.password_reset_done,
        name="account_reset_password_done",
    ),
    re_path(
        r"^mot-de-passe/oubli/cle/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "mot-de-passe/oubli/termine/",
        views.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path("double-authentification/", include("allauth.mfa.urls")),
]
