from django.urls import path

from guichet.signing import views

app_name = "pki"

urlpatterns = [
    path("pki/", views.index, name="index"),
    path("pki/chaine.pem", views.chain, name="chain"),
    path("pki/<str:fingerprint>.pem", views.certificate, name="certificate"),
]
