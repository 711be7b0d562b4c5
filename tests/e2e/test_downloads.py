"""Through a real HTTP server (issue 10 §5, R-EVD-2): an altered file is cut before the end of
its response, so that the client never holds a complete, seemingly valid file."""

import hashlib
import http.client
import io
import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from guichet.accounts.models import Organisation, Role, User
from guichet.journal.models import JournalEntry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONTENT = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%" + os.urandom(2_500_000) + b"\n%%EOF\n"


def get(live_server, path, session):
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    # Django's test server keeps an HTTP/1.1 connection open after a failed response unless the
    # client asked to close it (gunicorn, in production, shuts the socket in every case).
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}", "Connection": "close"}
    connection.request("GET", path, headers=headers)
    return connection, connection.getresponse()


def test_r_evd_2_altered_file_is_cut_by_the_server(
    live_server, catalogue, journal_rows_removed, dmn
):
    from guichet.applications.services import add_document, create_application, save_product
    from guichet.files.uploads import upload_from_stream

    organisation = Organisation.objects.create(name="Télésanté", siren="732829320")
    applicant = User.objects.create_user(
        email="resp@telesante.fr",
        password=PASSWORD,
        role=Role.APPLICANT_ADMIN,
        organisation=organisation,
    )
    product = save_product(by=applicant, name="TéléSuivi", modules=[])
    application = create_application(
        by=applicant,
        product=product,
        product_version="3.2",
        referential_version=dmn,
        pathway_code="nom_de_marque",
    )
    with transaction.atomic():
        document = add_document(
            by=applicant,
            application=application,
            item="functional_documentation",
            upload=upload_from_stream(io.BytesIO(CONTENT), "documentation.pdf"),
        )
    browser = Client()
    browser.force_login(applicant)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    path = f"/api/v1/applications/{application.pk}/files/{document.file_id}"

    connection, intact = get(live_server, path, session)
    body = intact.read()
    connection.close()
    assert intact.status == 200 and hashlib.sha256(body).hexdigest() == document.file.sha256

    stored = settings.GUICHET_FILES_ROOT / document.file.path
    raw = bytearray(stored.read_bytes())
    raw[-100] ^= 0x01
    stored.write_bytes(bytes(raw))
    connection, altered = get(live_server, path, session)
    assert altered.status == 200
    assert int(altered.getheader("Content-Length")) == len(CONTENT)
    with pytest.raises(http.client.IncompleteRead) as cut:
        altered.read()
    connection.close()
    assert len(cut.value.partial) < len(CONTENT)
    assert JournalEntry.objects.filter(
        action="file.integrity_failure", object_id=str(document.file_id)
    ).exists()
