from django.db import models
from django.utils.translation import gettext_lazy as _


class SealCertificate(models.Model):
    """A certificate the agency has sealed acts with (public parts only, never a key): kept
    when first used, so that acts sealed before a replacement stay verifiable and the public
    PKI page (/pki/) lists every one (issue 24 §4)."""

    fingerprint = models.CharField(_("empreinte SHA-256"), max_length=64, unique=True)
    subject = models.CharField(_("titulaire"), max_length=500)
    issuer = models.CharField(_("émetteur"), max_length=500)
    serial = models.CharField(_("numéro de série"), max_length=100)
    not_before = models.DateTimeField(_("valide à partir du"))
    not_after = models.DateTimeField(_("valide jusqu'au"))
    certificate_pem = models.TextField(_("certificat (PEM)"))
    chain_pem = models.TextField(_("chaîne (PEM)"), blank=True)
    first_used_at = models.DateTimeField(_("premier usage"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificat de cachet")
        verbose_name_plural = _("certificats de cachet")
        ordering = ["-first_used_at", "-pk"]

    def __str__(self):
        return f"{self.subject} ({self.fingerprint[:12]})"
