from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from guichet.common import views as common_views

api_v1 = [
    path("", include("guichet.referentials.api_urls")),
    path("", include("guichet.accounts.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", common_views.home, name="home"),
    path("", include("guichet.referentials.urls")),
    path("compte/", include("guichet.accounts.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("django-admin/", admin.site.urls),
]

handler404 = "guichet.common.views.handler404"
handler500 = "guichet.common.views.handler500"
