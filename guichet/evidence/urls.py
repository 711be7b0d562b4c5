from django.urls import path

from guichet.evidence import views

app_name = "evidence"

urlpatterns = [
    path("<int:pk>/preuves/", views.evidence_page, name="page"),
    path("<int:pk>/preuves/<int:proof>/", views.evidence_upload, name="upload"),
    path(
        "<int:pk>/preuves/sections/<str:section>/soumettre/",
        views.section_submit,
        name="section-submit",
    ),
]
