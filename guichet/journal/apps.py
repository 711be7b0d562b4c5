from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "guichet.journal"
    label = "journal"
    verbose_name = "Journal d'audit"
