from django.apps import AppConfig


class ReferentialsConfig(AppConfig):
    name = "guichet.referentials"
    label = "referentials"
    verbose_name = "Référentiels"
