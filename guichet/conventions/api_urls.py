from django.urls import path

from guichet.conventions import api

urlpatterns = [
    path(
        "applications/<int:pk>/convention.pdf",
        api.ConventionPdfApi.as_view(),
        name="convention-pdf",
    ),
    path(
        "applications/<int:pk>/convention/sign",
        api.ConventionSignApi.as_view(),
        name="convention-sign",
    ),
]
