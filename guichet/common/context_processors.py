from django.conf import settings


def site(request):
    return {
        "SITE_TITLE": "Guichet",
        "SITE_TAGLINE": "Certification des produits numériques en santé",
        "IS_PRODUCTION": settings.PRODUCTION,
    }
