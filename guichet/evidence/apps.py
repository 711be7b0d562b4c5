from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "guichet.evidence"
    label = "evidence"
    verbose_name = "Preuves"

    def ready(self):
        # Registers this stage's files, read rules and page panel with the core.
        from guichet.evidence import selectors, views  # noqa: F401
