from django.urls import include, path  # noqa: F401 (the parts add theirs)

urlpatterns: list = []
