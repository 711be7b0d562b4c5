from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    """When each periodic task was last enqueued: the scheduler's memory, shared by every
    process, so that a task runs once per period whatever the number of schedulers."""

    name = models.CharField(_("tâche"), max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(_("dernier lancement"), null=True, blank=True)
    # Written by the worker when a run ends (guichet.monitoring): what health and metrics read,
    # without scanning the task queue's table.
    last_success_at = models.DateTimeField(_("dernière réussite"), null=True, blank=True)
    last_duration = models.FloatField(_("durée de la dernière réussite (s)"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("dernier échec"), null=True, blank=True)

    class Meta:
        verbose_name = _("tâche périodique")

    def __str__(self):
        return self.name
