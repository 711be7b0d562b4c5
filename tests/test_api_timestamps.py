"""One format for the API's timestamps (issue 14 §3): Paris time with its offset, whether a
serializer's field or a view's own payload writes it — never « Z » beside « +01:00 »."""

import re

import pytest

from guichet.messaging.services import post_message

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(Z|[+-]\d\d:\d\d)")


def test_the_api_writes_every_timestamp_in_paris_time_with_its_offset(
    api, applicant, dmn_application
):
    post_message(by=applicant, application=dmn_application, body="Bonjour.")
    api.force_authenticate(applicant)
    offsets = set()
    for url in (
        f"/api/v1/applications/{dmn_application.pk}/",
        f"/api/v1/applications/{dmn_application.pk}/messages/",
        "/api/v1/notifications/",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        offsets |= set(TIMESTAMP.findall(response.content.decode()))
    assert offsets and offsets <= {"+01:00", "+02:00"}
