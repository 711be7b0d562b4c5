"""Pages of the instruction, each part in its own module (assignment and queue, verdicts,
requests and missing items, INS test day)."""

from django.urls import include, path

app_name = "instruction"

urlpatterns: list = [
    path("", include("guichet.instruction.urls_instruction")),
    path("", include("guichet.instruction.urls_ins")),
    path("", include("guichet.instruction.urls_requests")),
]
