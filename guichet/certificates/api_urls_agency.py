"""API: the certificate's life (issue 13 §3)."""

urlpatterns: list = []
