"""API: the register and its open data (issue 13 §2)."""

urlpatterns: list = []
