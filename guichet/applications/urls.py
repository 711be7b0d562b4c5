from django.urls import path

from guichet.applications import views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("nouvelle/", views.application_create, name="create"),
    path("produits/nouveau/", views.product_create, name="product-create"),
    path("produits/<int:pk>/", views.product_edit, name="product-edit"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/formulaire/", views.application_form, name="form"),
    path("<int:pk>/soumettre/", views.application_submit, name="submit"),
]
