"""Public verification pages of certificates (issue 13 §1, R-CRT-9)."""

urlpatterns: list = []
