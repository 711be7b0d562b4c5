from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    name = "guichet.conventions"
    label = "conventions"
    verbose_name = "Conventions"

    def ready(self):
        # Registers this stage's files, read rules, page panel, guards and effects with the core.
        from guichet.conventions import selectors, services, views  # noqa: F401
