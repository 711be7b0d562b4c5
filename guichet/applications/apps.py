from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "guichet.applications"
    verbose_name = "Candidatures"
    default_auto_field = "django.db.models.BigAutoField"
