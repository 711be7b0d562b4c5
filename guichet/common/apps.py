from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "guichet.common"
    label = "common"

    def ready(self):
        # Each app declares its periodic tasks in its tasks.py; load them all.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
