from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "guichet.evidence"
    label = "evidence"
    verbose_name = "Preuves"

    def ready(self):
        # Registers this stage's files, read rules, page panel, guards and effects with the core.
        from guichet.evidence import selectors, services, views  # noqa: F401
