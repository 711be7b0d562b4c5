from django.urls import path

from guichet.instruction.api_clock import ApplicationClockApi

urlpatterns = [
    path("applications/<int:pk>/clock", ApplicationClockApi.as_view(), name="application-clock"),
]
