import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """A deposited file, kept with what proves it unchanged (R-EVD-2): SHA-256 and size of its
    content, the type found in the content, who deposited it and when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    path = models.CharField(_("emplacement"), max_length=255, unique=True)
    original_name = models.CharField(_("nom d'origine"), max_length=255)
    size = models.BigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    content_type = models.CharField(_("type"), max_length=128)
    encrypted = models.BooleanField(_("chiffré"), default=False)
    wrapped_key = models.TextField(_("clé chiffrée"), blank=True)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("déposé par")
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    produced_on = models.DateField(_("date de production"), null=True, blank=True)

    class Meta:
        verbose_name = _("fichier déposé")
        verbose_name_plural = _("fichiers déposés")

    def __str__(self):
        return self.original_name
