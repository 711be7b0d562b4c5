from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "guichet.dashboard"
    label = "dashboard"
    verbose_name = "Tableau de bord"
