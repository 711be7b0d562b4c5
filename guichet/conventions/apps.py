from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    name = "guichet.conventions"
    label = "conventions"
    verbose_name = "Conventions"

    def ready(self):
        # Registers this stage's files, read rules and page panel with the core.
        from guichet.conventions import selectors, views  # noqa: F401
