"""Messages between the applicant and the agency (R-MSG-1), the agency's internal notes, and
notifications (in-app, and the choices of which to receive by email)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """A message of an application's thread; `internal`: an agency note, never shown to the
    applicant."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey("accounts.User", on_delete=models.RESTRICT, related_name="+")
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("note interne de l'agence"), default=False)
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        ordering = ["application", "created_at", "id"]
        indexes = [models.Index(fields=["application", "id"], name="message_thread")]

    def __str__(self):
        return f"{self.application_id} — {self.author_id} — {self.created_at}"


class MessageFile(models.Model):
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="files")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("pièce jointe d'un message")

    def __str__(self):
        return str(self.file_id)


class ThreadRead(models.Model):
    """How far a person has read an application's thread (the last message id read)."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(_("dernier message lu"), default=0)
    read_at = models.DateTimeField(_("lu le"), auto_now=True)

    class Meta:
        verbose_name = _("lecture d'un fil")
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="one_read_mark_per_thread")
        ]

    def __str__(self):
        return f"{self.user_id} a lu {self.application_id} jusqu'à {self.last_read_id}"


class Notification(models.Model):
    """An in-app notification of one person."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("type"), max_length=64)
    title = models.CharField(_("titre"), max_length=255)
    body = models.TextField(_("texte"), blank=True)
    url = models.CharField(_("lien"), max_length=500, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return f"{self.user_id} — {self.title}"


class EmailPreference(models.Model):
    """A person's choice for one kind of email (legal notices always go)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("type"), max_length=64)
    email = models.BooleanField(_("par courriel"), default=True)

    class Meta:
        verbose_name = _("choix de courriel")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_choice_per_kind")]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.email}"
