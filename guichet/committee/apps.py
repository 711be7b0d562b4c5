from django.apps import AppConfig


class CommitteeConfig(AppConfig):
    name = "guichet.committee"
    label = "committee"
    verbose_name = "Collège technique"

    def ready(self):
        # Registers the collège's guards and effects (services), its letters as files of the
        # application (selectors), its panel and form (views) with the core.
        from guichet.committee import selectors, services, views  # noqa: F401
