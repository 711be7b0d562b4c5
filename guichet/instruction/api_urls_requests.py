"""API of information requests and missing items (R-CLK-3, R-CLK-5)."""

from django.urls import path

from guichet.instruction import api_requests as api

urlpatterns = [
    path(
        "applications/<int:pk>/information-requests/",
        api.InformationRequestListApi.as_view(),
        name="information-requests",
    ),
    path(
        "applications/<int:pk>/information-requests/<int:rid>/files",
        api.InformationRequestFilesApi.as_view(),
        name="information-request-files",
    ),
    path(
        "applications/<int:pk>/information-requests/<int:rid>/answer",
        api.InformationRequestAnswerApi.as_view(),
        name="information-request-answer",
    ),
    path(
        "applications/<int:pk>/missing-items/",
        api.MissingItemsListApi.as_view(),
        name="missing-items",
    ),
    path(
        "applications/<int:pk>/missing-items/<int:nid>/files",
        api.MissingItemsFilesApi.as_view(),
        name="missing-items-files",
    ),
    path(
        "applications/<int:pk>/missing-items/<int:nid>/answer",
        api.MissingItemsAnswerApi.as_view(),
        name="missing-items-answer",
    ),
]
