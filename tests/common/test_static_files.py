"""Static files outside production: WhiteNoise serves them from the finders, its table of
files read once per process however many times Django builds its middleware."""

import pytest
from django.test import Client

from guichet.common.middleware import StaticFilesMiddleware


@pytest.mark.django_db  # closing a response closes the old database connections
def test_static_files_are_served_by_every_new_handler_from_one_reading_of_the_finders():
    first = Client().get("/static/guichet/guichet.css")
    first.close()
    tables = dict(StaticFilesMiddleware._found)
    second = Client().get("/static/guichet/guichet.css")
    assert first.status_code == second.status_code == 200
    assert b"".join(second.streaming_content).startswith(b".guichet-")
    second.close()
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in next(iter(tables.values()))
    # The second handler took the table the first one read.
    assert StaticFilesMiddleware._found == tables
    assert all(
        second_table is tables[key] for key, second_table in StaticFilesMiddleware._found.items()
    )
