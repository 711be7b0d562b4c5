"""API: public verification (issue 13 §1)."""

urlpatterns: list = []
