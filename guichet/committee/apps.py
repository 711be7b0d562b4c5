from django.apps import AppConfig


class CommitteeConfig(AppConfig):
    name = "guichet.committee"
    label = "committee"
    verbose_name = "Collège technique"
