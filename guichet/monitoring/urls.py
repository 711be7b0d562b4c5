from django.urls import path

from guichet.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("sante/vivant", views.alive, name="alive"),
    path("sante/pret", views.ready, name="ready"),
    path("metrics", views.metrics, name="metrics"),
]
