"""Pages of the instruction's assignment, queue and verdicts (namespace « instruction »)."""

from django.urls import path

from guichet.instruction import views_instruction as views

urlpatterns = [
    path("agence/instruction/", views.queue_page, name="queue"),
    path("candidatures/<int:pk>/instruction/", views.instruction_page, name="page"),
    path("candidatures/<int:pk>/instruction/attribution/", views.assign_page, name="assign"),
    path("candidatures/<int:pk>/instruction/avis/", views.verdicts_page, name="verdicts"),
    path(
        "candidatures/<int:pk>/instruction/sections/<str:section>/tout-conforme/",
        views.section_conforme_page,
        name="section-conforme",
    ),
]
