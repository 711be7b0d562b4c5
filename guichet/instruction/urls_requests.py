"""Pages of information requests and missing items (R-CLK-3, R-CLK-5)."""

from django.urls import path

from guichet.instruction import views_requests as views

urlpatterns = [
    path(
        "candidatures/<int:pk>/demandes-information/nouvelle/",
        views.information_request_new,
        name="information-request-new",
    ),
    path(
        "candidatures/<int:pk>/demandes-information/<int:rid>/repondre/",
        views.information_answer,
        name="information-answer",
    ),
    path(
        "candidatures/<int:pk>/pieces-manquantes/nouvelle/",
        views.missing_items_new,
        name="missing-items-new",
    ),
    path(
        "candidatures/<int:pk>/pieces-manquantes/<int:nid>/envoyer/",
        views.missing_items_answer,
        name="missing-items-answer",
    ),
]
