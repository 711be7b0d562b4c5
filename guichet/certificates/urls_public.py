"""Public verification pages of certificates (issue 13 §1, R-CRT-9)."""

from django.urls import path

from guichet.certificates import views_public

urlpatterns: list = [
    path("certificats/", views_public.verify_home, name="verify-home"),
    # Without its trailing slash (typed by hand), CommonMiddleware (APPEND_SLASH) redirects here.
    path("certificats/<str:number>/", views_public.verify, name="verify"),
]
