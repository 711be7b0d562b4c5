"""API of the messaging (R-MSG-1), under /api/v1/."""

from django.urls import path

from guichet.messaging import api

urlpatterns = [
    path("applications/<int:pk>/messages/", api.MessageListApi.as_view(), name="messages"),
    path(
        "applications/<int:pk>/messages/<int:mid>/read",
        api.MessageReadApi.as_view(),
        name="message-read",
    ),
    path("notifications/", api.NotificationListApi.as_view(), name="notifications"),
    path("notifications/read", api.NotificationsReadApi.as_view(), name="notifications-read"),
]
