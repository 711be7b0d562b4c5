from django.apps import AppConfig


class ReferentialsConfig(AppConfig):
    name = "guichet.referentials"
    label = "referentials"
    verbose_name = "Référentiels"

    def ready(self):
        from guichet.referentials import signals

        signals.connect()
