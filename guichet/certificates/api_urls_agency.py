"""API: the certificate's life (issue 13 §3)."""

from django.urls import path

from guichet.certificates import api_agency as api
from guichet.certificates import api_notices
from guichet.certificates.api_new_version import EvidenceScopeApi
from guichet.certificates.api_steps import CertificateStepApi

urlpatterns = [
    path(
        "certificates/<str:number>/actions",
        api.CertificateActionsApi.as_view(),
        name="certificate-actions",
    ),
    path(
        "certificates/<str:number>/transitions/<str:name>",
        api.CertificateTransitionApi.as_view(),
        name="certificate-transition",
    ),
    path(
        "certificates/<str:number>/steps/<str:code>",
        CertificateStepApi.as_view(),
        name="certificate-step",
    ),
    path(
        "certificates/<str:number>/controls",
        api.CertificateControlApi.as_view(),
        name="certificate-controls",
    ),
    path(
        "certificates/<str:number>/formal-notices",
        api_notices.FormalNoticeListApi.as_view(),
        name="certificate-formal-notices",
    ),
    path(
        "certificates/<str:number>/formal-notices/<int:notice>/answers",
        api_notices.FormalNoticeAnswerApi.as_view(),
        name="certificate-formal-notice-answers",
    ),
    path(
        "applications/<int:pk>/evidence-scope",
        EvidenceScopeApi.as_view(),
        name="application-evidence-scope",
    ),
]
