from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    """When each periodic task was last enqueued: the scheduler's memory, shared by every
    process, so that a task runs once per period whatever the number of schedulers."""

    name = models.CharField(_("tâche"), max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(_("dernier lancement"), null=True, blank=True)

    class Meta:
        verbose_name = _("tâche périodique")

    def __str__(self):
        return self.name
