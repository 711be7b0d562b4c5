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
    path(
        "candidatures/<int:pk>/journee-tests-ins/confirmation/",
        views_ins.ins_confirm,
        name="ins-confirm",
    ),
    path(
        "candidatures/<int:pk>/journee-tests-ins/autre-date/",
        views_ins.ins_agency_propose,
        name="ins-agency-propose",
    ),
    path(
        "candidatures/<int:pk>/journee-tests-ins/acceptation/",
        views_ins.ins_accept,
        name="ins-accept",
    ),
    path(
        "candidatures/<int:pk>/journee-tests-ins/participants/",
        views_ins.ins_attendance,
        name="ins-attendance",
    ),
]
