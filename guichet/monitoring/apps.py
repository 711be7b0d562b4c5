from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "guichet.monitoring"
    verbose_name = "Supervision"

    def ready(self):
        from django_tasks.signals import task_finished

        task_finished.connect(_task_finished, dispatch_uid="guichet.monitoring.task_finished")


def _task_finished(sender, task_result, **kwargs):
    from guichet.common.periodic import registered
    from guichet.monitoring.health import record_periodic_run
    from guichet.monitoring.logs import log_task

    periodic = task_result.task.module_path in {entry.name for entry in registered()}
    log_task(task_result, periodic=periodic)
    if periodic:
        record_periodic_run(task_result)
