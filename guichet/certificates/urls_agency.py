"""Pages of the certificate's life, for the agency and the holder (issue 13 §3)."""

from django.urls import path

from guichet.certificates import views_agency as views
from guichet.certificates.steps import step_view

urlpatterns = [
    path("agence/certificats/", views.certificate_list, name="agency-list"),
    path("agence/certificats/agrements/", views.approvals_page, name="approvals"),
    path("agence/certificats/versions/<int:pk>/", views.new_version_page, name="new-version"),
    path(
        "agence/certificats/versions/<int:pk>/notifier/",
        views.new_version_notify,
        name="new-version-notify",
    ),
    path(
        "agence/certificats/versions/<int:pk>/preuves/",
        views.new_version_scope,
        name="new-version-scope",
    ),
    path("agence/certificats/<str:number>/", views.certificate_page, name="agency-detail"),
    path("agence/certificats/<str:number>/controle/", views.control_upload, name="agency-control"),
    path(
        "agence/certificats/<str:number>/actions/<str:name>/",
        views.agency_act,
        name="agency-act",
    ),
    path("mes-certificats/", views.my_certificates, name="mine"),
    path("certificats/<str:number>/gerer/", views.manage_page, name="manage"),
    path("certificats/<str:number>/etapes/<str:code>/", step_view, name="step"),
    path(
        "certificats/<str:number>/mises-en-demeure/<int:notice>/reponse/",
        views.notice_answer,
        name="notice-answer",
    ),
    path(
        "certificats/<str:number>/gerer/actions/<str:name>/",
        views.holder_act,
        name="holder-act",
    ),
    path(
        "candidatures/<int:pk>/certificat-exceptionnel/engagement/",
        views.exceptional_commit,
        name="exceptional-commit",
    ),
]
