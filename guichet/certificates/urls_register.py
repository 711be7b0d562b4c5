"""The public register, its exports and its feed (issue 13 §2, R-PUB-1)."""

from django.urls import path

from guichet.certificates import views_register as views

urlpatterns = [
    path("registre/", views.register_page, name="register"),
    path("registre/flux.atom", views.RegisterFeed(), name="register-feed"),
    path("registre/abonnement/", views.subscribe, name="register-subscribe"),
    path("registre/abonnement/envoye/", views.subscribe_sent, name="register-subscribe-sent"),
    path("registre/abonnement/<str:token>/", views.subscription, name="register-subscription"),
    path(
        "registre/abonnement/<str:token>/resilier/",
        views.unsubscribe,
        name="register-unsubscribe",
    ),
    # Open data (data.gouv.fr): the whole register and its Table Schema, at the site's root.
    path("register.csv", views.export, {"fmt": "csv"}, name="register-csv"),
    path("register.json", views.export, {"fmt": "json"}, name="register-json"),
    path("register/schema.json", views.schema, name="register-schema"),
    path("schema.json", views.schema, name="register-schema-root"),
    # R-PUB-2: the applications in progress whose planned date may be published, beside it.
    path("candidatures-en-cours/", views.in_progress_page, name="in-progress"),
    path(
        "applications-in-progress.csv",
        views.in_progress_export,
        {"fmt": "csv"},
        name="in-progress-csv",
    ),
    path(
        "applications-in-progress.json",
        views.in_progress_export,
        {"fmt": "json"},
        name="in-progress-json",
    ),
    path(
        "applications-in-progress/schema.json",
        views.in_progress_schema,
        name="in-progress-schema",
    ),
]
