"""API of certificates (under /api/v1/, namespace « api »): verification, register, life."""

from guichet.certificates import api_urls_agency, api_urls_public, api_urls_register

urlpatterns = [
    *api_urls_public.urlpatterns,
    *api_urls_register.urlpatterns,
    *api_urls_agency.urlpatterns,
]
