"""Pages of the messaging (R-MSG-1), mounted at the site's root."""

from django.urls import path

from guichet.messaging import views

app_name = "messaging"

urlpatterns = [
    path("candidatures/<int:pk>/messages/", views.thread, name="thread"),
    path("messages/", views.inbox, name="inbox"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/tout-lu/", views.notifications_read, name="notifications-read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification-open"),
    path("compte/courriels/", views.preferences, name="preferences"),
]
