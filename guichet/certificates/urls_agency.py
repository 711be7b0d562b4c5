"""Pages of the certificate's life, for the agency and the holder (issue 13 §3)."""

urlpatterns: list = []
