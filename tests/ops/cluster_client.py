"""What a browser and an API client do against one node of the platform (issue 23 §2): log in
through the login page with its CSRF token, get an API token, upload and download. Plain HTTP
(requests) to the node's port, every call with a timeout: nothing here shares memory with the
nodes."""

from __future__ import annotations

import hashlib
import html
import re
import threading
import time

import requests
import requests.adapters

from tests.conftest import PASSWORD, totp_code

TIMEOUT = 60  # seconds, for any one request
LOGIN_PATH = "/compte/connexion/"
PROFILE_PATH = "/compte/"
API = "/api/v1"


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return html.unescape(found.group(1))


def page_login(base: str, email: str, password: str = PASSWORD) -> requests.Session:
    """A browser's session: the login page read, then posted with its CSRF token."""
    browser = requests.Session()
    form = browser.get(base + LOGIN_PATH, timeout=TIMEOUT)
    assert form.status_code == 200, form.status_code
    answer = browser.post(
        base + LOGIN_PATH,
        data={"csrfmiddlewaretoken": csrf_token(form.text), "login": email, "password": password},
        headers={"Referer": base + LOGIN_PATH},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, f"login refused: {answer.status_code} {answer.text[:500]}"
    return browser


def api_token(base: str, email: str, *, staff: bool = False) -> str:
    """A token obtained the way clients do, the TOTP code included for agency staff."""
    payload = {"email": email, "password": PASSWORD}
    if staff:
        payload["otp"] = totp_code()
    answer = requests.post(base + API + "/auth/token", json=payload, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def api_client(token: str) -> requests.Session:
    """An API client; its connection pool as large as the test's thread pools."""
    client = requests.Session()
    client.headers["Authorization"] = f"Token {token}"
    client.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))
    return client


def pdf(tag: str, size: int = 4096) -> bytes:
    """A small PDF whose content (hence SHA-256) is its tag's own."""
    filler = hashlib.sha256(tag.encode()).hexdigest().encode() * (size // 64 + 1)
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%"
        + filler[:size]
        + b"\n%%EOF\n"
    )


class SlowMultipart:
    """A multipart body with one file, of known length, handed to the socket in slices with a
    pause between them: the request is still arriving while the test acts (`started` is set
    once the first slice left)."""

    BOUNDARY = "guichet-cluster-boundary"

    def __init__(self, name: str, content: bytes, *, slices: int = 8, pause: float = 0.2):
        head = (
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        self.body = head + content + f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.step = len(self.body) // slices + 1
        self.pause = pause
        self.sent = 0
        self.started = threading.Event()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.BOUNDARY}"

    def __len__(self) -> int:
        return len(self.body)

    def read(self, size: int = -1) -> bytes:
        if self.sent:
            self.started.set()
            time.sleep(self.pause)
        chunk = self.body[self.sent : self.sent + self.step]
        self.sent += len(chunk)
        return chunk


def upload(client: requests.Session, base: str, application: int, item: str, content: bytes):
    files = {"file": (f"{item}.pdf", content, "application/pdf")}
    return client.post(
        f"{base}{API}/applications/{application}/documents/{item}/files",
        files=files,
        timeout=TIMEOUT,
    )


def download_sha256(client: requests.Session, base: str, application: int, file_id: str):
    """The file as the node serves it, following a redirect if it answers one; its SHA-256."""
    answer = client.get(
        f"{base}{API}/applications/{application}/files/{file_id}", timeout=TIMEOUT, stream=True
    )
    assert answer.status_code == 200, f"{answer.status_code} {answer.text[:300]}"
    digest = hashlib.sha256()
    for chunk in answer.iter_content(64 * 1024):
        digest.update(chunk)
    return digest.hexdigest()
