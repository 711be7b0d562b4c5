"""API: public verification (issue 13 §1)."""

from django.urls import path

from guichet.certificates import api_public

urlpatterns: list = [
    # The PDF first: a number never holds a dot, « X.pdf » is X's PDF.
    path(
        "certificates/<str:number>.pdf",
        api_public.CertificatePdfApi.as_view(),
        name="certificate-pdf",
    ),
    path("certificates/<str:number>", api_public.CertificateApi.as_view(), name="certificate"),
]
