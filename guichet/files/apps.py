from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "guichet.files"
    verbose_name = "Fichiers déposés"
    default_auto_field = "django.db.models.BigAutoField"
