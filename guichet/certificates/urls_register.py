"""The public register, its exports and its feed (issue 13 §2, R-PUB-1)."""

urlpatterns: list = []
