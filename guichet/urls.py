from allauth.account.decorators import secure_admin_login
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from guichet import views
from guichet.accounts import views as account_views
from guichet.journal.api import JournalCheckpointsApi, JournalExportApi

# The admin signs in through allauth, second factor included (R-ACC-3).
admin.site.login = secure_admin_login(admin.site.login)

api_v1 = [
    path("", include("guichet.referentials.api_urls")),
    path("", include("guichet.accounts.api_urls")),
    path("", include("guichet.applications.api_urls")),
    path("", include("guichet.conventions.api_urls")),
    path("", include("guichet.evidence.api_urls")),
    path("", include("guichet.instruction.api_urls")),
    path("", include("guichet.committee.api_urls")),
    path("", include("guichet.certificates.api_urls")),
    path("", include("guichet.messaging.api_urls")),
    path("", include("guichet.dashboard.api_urls")),
    path("journal/", JournalExportApi.as_view(), name="journal"),
    path("journal/checkpoints", JournalCheckpointsApi.as_view(), name="journal-checkpoints"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI injects its own <style> elements: the only page whose styles are relaxed.
    path(
        "docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page declares (DSFR's icons are declared).
    path("favicon.ico", views.favicon),
    path("mon-travail/", views.work, name="work"),
    path("", include("guichet.referentials.urls")),
    path("compte/", include("guichet.accounts.urls")),
    path("compte/", include("guichet.accounts.auth_urls")),
    path("cgu/", account_views.terms_public, name="terms-public"),
    path("agence/journal/", include("guichet.journal.urls")),
    path("candidatures/", include("guichet.applications.urls")),
    path("candidatures/", include("guichet.conventions.urls")),
    path("candidatures/", include("guichet.evidence.urls")),
    path("", include("guichet.instruction.urls")),
    path("", include("guichet.committee.urls")),
    path("", include("guichet.certificates.urls")),
    path("", include("guichet.messaging.urls")),
    path("", include("guichet.dashboard.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("", include("guichet.monitoring.urls")),
    path("", include("guichet.signing.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "guichet.common.views.handler400"
handler403 = "guichet.common.views.handler403"
handler404 = "guichet.common.views.handler404"
handler500 = "guichet.common.views.handler500"
