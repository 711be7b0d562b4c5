from django.urls import path

from guichet.conventions import views

app_name = "conventions"

urlpatterns = [
    path("<int:pk>/convention.pdf", views.convention_pdf, name="pdf"),
    path("<int:pk>/convention/signer/", views.convention_sign, name="sign"),
]
