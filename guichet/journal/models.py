"""The append-only, hash-chained audit journal (R-AUD-1)."""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """The journal is append-only: nothing updates or deletes an entry."""


class JournalQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Le journal est en ajout seul : une entrée ne se modifie pas.")

    def delete(self):
        raise AppendOnlyError("Le journal est en ajout seul : une entrée ne se supprime pas.")


class JournalEntry(models.Model):
    created_at = models.DateTimeField(_("horodatage"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.RESTRICT,  # for traceability: a person who acted is never deleted
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    actor_email = models.CharField(_("adresse de l'auteur"), max_length=254, blank=True)
    actor_role = models.CharField(_("rôle"), max_length=32, blank=True)
    organisation = models.CharField(_("organisation"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("type d'objet"), max_length=64)
    object_id = models.CharField(_("objet"), max_length=64)
    application_id = models.CharField(_("candidature"), max_length=64, blank=True, db_index=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)
    request_id = models.CharField(_("requête"), max_length=64, blank=True)
    previous_hash = models.CharField(_("empreinte précédente"), max_length=64)
    hash = models.CharField(_("empreinte"), max_length=64, unique=True)
    # The id of the key whose HMAC is `hash` (guichet/journal/keys.py); empty for the entries
    # written before the journal had a key, whose `hash` is a plain SHA-256.
    key_id = models.CharField(_("clé"), max_length=16, blank=True, default="")

    objects = JournalQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("entrées du journal")

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("Le journal est en ajout seul : une entrée ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Le journal est en ajout seul : une entrée ne se supprime pas.")

    def content(self) -> dict:
        """What the hash seals; the key's id only on keyed entries, so that the entries
        written before the key keep their content, hence their hash."""
        content = {
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "actor_role": self.actor_role,
            "organisation": self.organisation,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "application_id": self.application_id,
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
            "previous_hash": self.previous_hash,
        }
        if self.key_id:
            content["key_id"] = self.key_id
        return content

    def compute_hash(self, key: bytes | None) -> str:
        """The HMAC-SHA-256 of the content with `key`; a plain SHA-256 without one (the entries
        written before the journal had a key)."""
        payload = json.dumps(
            self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
        ).encode("utf-8")
        if key is None:
            return hashlib.sha256(payload).hexdigest()
        return hmac.new(key, payload, hashlib.sha256).hexdigest()
