from django.urls import path

from guichet.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("agence/tableau-de-bord/", views.dashboard_page, name="index"),
    path("agence/tableau-de-bord/<slug:table>.csv", views.export_csv, name="export"),
]
