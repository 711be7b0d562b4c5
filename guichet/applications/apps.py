from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "guichet.applications"
    verbose_name = "Candidatures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The modules that add their guards and effects to the workflow's transitions.
        from guichet.applications import review, services  # noqa: F401
