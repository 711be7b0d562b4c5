from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "guichet.signing"
    verbose_name = "Cachet de l'agence"
