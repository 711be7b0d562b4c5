from django.urls import path

from guichet.journal import views

app_name = "journal"

urlpatterns = [
    path("", views.journal_index, name="index"),
    path("export.<str:fmt>", views.journal_export, name="export"),
    path("verifier/", views.journal_verify, name="verify"),
    path("points-de-controle/", views.journal_checkpoint, name="checkpoint"),
    path(
        "points-de-controle.<str:fmt>",
        views.journal_checkpoints_export,
        name="checkpoints-export",
    ),
]
