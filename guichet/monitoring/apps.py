from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "guichet.monitoring"
    verbose_name = "Supervision"
