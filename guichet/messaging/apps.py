from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "guichet.messaging"
    label = "messaging"
    verbose_name = "Messages et notifications"

    def ready(self):
        # Every notice of every stage comes through here (R-MSG-1); the thread is a panel of
        # the application page, its files files of the application.
        from guichet.applications import extensions
        from guichet.messaging import selectors, services, views  # noqa: F401

        extensions.NOTIFIER = services.deliver
