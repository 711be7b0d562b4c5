from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "guichet.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self):
        from guichet.accounts import signals

        signals.connect()
