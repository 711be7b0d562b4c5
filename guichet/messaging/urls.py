from django.urls import include, path  # noqa: F401 (the parts add theirs)

app_name = "messaging"

urlpatterns: list = []
