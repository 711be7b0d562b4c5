from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "guichet.messaging"
    label = "messaging"
    verbose_name = "Messages et notifications"
