"""Pages of the INS test day (R-CLK-8), in the « instruction » namespace."""

from django.urls import path

from guichet.instruction import views_ins

urlpatterns = [
    path(
        "candidatures/<int:pk>/journee-tests-ins/date/",
        views_ins.ins_propose,
        name="ins-propose",
    ),
    path(
        "candidatures/<int:pk>/journee-tests-ins/resultats/",
        views_ins.ins_result,
        name="ins-result",
    ),
]
