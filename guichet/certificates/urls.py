"""Pages of certificates (namespace « certificates »): public verification, the register, and
the certificate's life. Each part keeps its own module."""

from guichet.certificates import urls_agency, urls_public, urls_register

app_name = "certificates"

urlpatterns = [*urls_public.urlpatterns, *urls_register.urlpatterns, *urls_agency.urlpatterns]
