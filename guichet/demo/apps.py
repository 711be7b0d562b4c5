from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `make run`: above every app it fills, imported by none."""

    name = "guichet.demo"
    label = "demo"
    verbose_name = "Démonstration"
