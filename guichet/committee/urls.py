"""Pages of the collège technique (namespace « committee »): the agency's area, and the appeal
decision of a decided dossier."""

from django.urls import path

from guichet.committee import views

app_name = "committee"

urlpatterns = [
    path("agence/college/", views.sessions_page, name="sessions"),
    path("agence/college/seances/nouvelle/", views.session_create, name="session-create"),
    path("agence/college/seances/generer/", views.sessions_generate, name="sessions-generate"),
    path("agence/college/seances/<int:pk>/", views.session_page, name="session"),
    path(
        "agence/college/seances/<int:pk>/ordre-du-jour/remplir/",
        views.agenda_fill,
        name="agenda-fill",
    ),
    path("agence/college/seances/<int:pk>/membres/", views.members_add, name="members-add"),
    path("agence/college/seances/<int:pk>/presence/", views.presence, name="presence"),
    path(
        "agence/college/seances/<int:pk>/membres/<int:member>/retirer/",
        views.member_remove,
        name="member-remove",
    ),
    path(
        "agence/college/seances/<int:pk>/dossiers/<int:application>/decision/",
        views.decision_record,
        name="decision-record",
    ),
    path(
        "agence/college/seances/<int:pk>/dossiers/<int:application>/reporter/",
        views.agenda_move,
        name="agenda-move",
    ),
    path(
        "agence/college/decisions/<int:pk>/arreter/",
        views.decision_sign_off,
        name="decision-sign-off",
    ),
    path("candidatures/<int:pk>/decision/recours/", views.appeal_page, name="appeal"),
]
