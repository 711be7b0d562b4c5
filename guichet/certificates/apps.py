from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "guichet.certificates"
    label = "certificates"
    verbose_name = "Certificats de conformité"

    def ready(self):
        # Registers the lifecycle's guards and effects with the certificate's workflow, and
        # the register's announcements to its subscribers (subscriptions).
        import guichet.certificates.subscriptions  # noqa: F401
        from guichet.certificates import services  # noqa: F401
