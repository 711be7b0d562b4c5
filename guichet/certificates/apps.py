from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "guichet.certificates"
    label = "certificates"
    verbose_name = "Certificats de conformité"

    def ready(self):
        # Registers the lifecycle's guards and effects with the certificate's workflow, and
        # the certificate's panel and PDFs on the application page (holder), and the
        # register's announcements to its subscribers (subscriptions).
        from guichet.certificates import (  # noqa: F401
            exceptional,
            holder,
            lifecycle,
            ministers,
            new_version,
            notice_answers,
            renewal,
            services,
            subscriptions,
            sweep,
        )
