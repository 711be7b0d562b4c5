from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "guichet.backups"
    verbose_name = "Sauvegardes"
