from django.urls import include, path

urlpatterns: list = [
    path("", include("guichet.instruction.api_urls_clock")),
]
