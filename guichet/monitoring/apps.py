from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "guichet.monitoring"
    verbose_name = "Supervision"

    def ready(self):
        from django_tasks.signals import task_finished

        task_finished.connect(_task_finished, dispatch_uid="guichet.monitoring.task_finished")


def _task_finished(sender, task_result, **kwargs):
    """Each task's line in the log; a periodic task's outcome on its PeriodicRun row."""
    from guichet.common.periodic import record_outcome, registered
    from guichet.monitoring.logs import log_task, outcome

    name = task_result.task.module_path
    periodic = name in {entry.name for entry in registered()}
    status, seconds = outcome(task_result)
    log_task(task_result, status=status, seconds=seconds, periodic=periodic)
    if periodic:
        record_outcome(name, status=status, seconds=seconds, finished=task_result.finished_at)
