from django.urls import include, path  # noqa: F401

urlpatterns: list = [
    path("", include("guichet.instruction.api_urls_requests")),
]
