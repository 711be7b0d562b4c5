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
    path("<int:pk>/actions/<str:name>/", views.application_transition, name="transition"),
    path("<int:pk>/version/", views.application_version, name="version"),
    path("<int:pk>/nouvelle-candidature/", views.application_file_again, name="file-again"),
    path("<int:pk>/recevabilite/", views.admissibility_review, name="review"),
    path("<int:pk>/recevabilite/decision/", views.admissibility_decision, name="decision"),
    path("<int:pk>/documents/<str:item>/", views.document_upload, name="document-upload"),
    path(
        "<int:pk>/documents/fichiers/<uuid:file_id>/retirer/",
        views.document_withdraw,
        name="document-withdraw",
    ),
    path("<int:pk>/fichiers/<uuid:file_id>/", views.file_download, name="file"),
]
