from django.urls import include, path

urlpatterns: list = [
    path("", include("guichet.instruction.api_instruction_urls")),
    path("", include("guichet.instruction.api_ins")),
    path("", include("guichet.instruction.api_urls_requests")),
    path("", include("guichet.instruction.api_urls_clock")),
]
