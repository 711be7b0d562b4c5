"""`manage.py run_worker`: django-tasks' `db_worker`, its log at the level of TASKS_LOG_LEVEL
(as settings.LOGGING says) rather than at the level its verbosity sets: `make run` shows the
tasks' warnings and errors, not each task's start and end."""

import logging
import os

from django_tasks_db.management.commands.db_worker import Command as DbWorker


class Command(DbWorker):
    help = (
        "Exécute les tâches en file (db_worker de django-tasks) ; le niveau de son journal suit "
        "TASKS_LOG_LEVEL."
    )

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        level = os.environ.get("TASKS_LOG_LEVEL")
        if level:
            for name in ("django_tasks", "django_tasks_db"):
                logging.getLogger(name).setLevel(level.upper())
