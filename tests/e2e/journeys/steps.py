"""What every step of a journey does (tests/e2e/journeys/test_journeys.py): each person in a
browser context of their own, signed in once and kept (a TOTP code serves once); at each step a
screenshot for CI's artefacts, the visible text searched for internal identifiers, and the
sentence that names the next action, or who acts next, looked for on the page.

With JOURNEY_DEBUG=1 in the environment, the visible text of each step is kept beside its
screenshot (NN-step.txt): what to read when an expected sentence is missing."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page

from tests.conftest import PASSWORD, TOTP_SECRET, totp_code
from tests.e2e.test_page_habits import captures_dir

# A snake_case identifier (`gdpr_declaration`, `ri_insi_cv`) has no place in what a person reads
# (issue 19 §2).
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
# What may hold an underscore and is not an identifier of the platform: e-mail addresses and
# addresses of pages (absolute, or a path from the site's root), removed before the search.
NOT_IDENTIFIERS = re.compile(r"\S+@\S+|\bhttps?://\S+|(?<!\S)/\S+")
TIMEOUT = 15_000


def snake_case_words(text: str) -> list[str]:
    return sorted(set(SNAKE_CASE.findall(NOT_IDENTIFIERS.sub(" ", text))))


@dataclass
class Journey:
    """One journey (DMN or TLC): its browser, its server, its people's pages, its steps."""

    browser: object
    base: str
    name: str  # "dmn" or "tlc": the folder of its screenshots
    mail_dir: Path
    pages: dict[str, Page] = field(default_factory=dict)
    number: int = 0
    faults: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.captures = captures_dir() / "journeys" / self.name
        self.captures.mkdir(parents=True, exist_ok=True)
        for old in [*self.captures.glob("*.jpg"), *self.captures.glob("*.txt")]:
            old.unlink()

    # --- people -------------------------------------------------------------------------------

    def page(self, role: str) -> Page:
        """The page of `role`'s browser context (one per person, kept for the journey)."""
        if role not in self.pages:
            context = self.browser.new_context(
                locale="fr-FR", viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            page.set_default_timeout(TIMEOUT)
            self.pages[role] = page
        return self.pages[role]

    def go(self, role: str, path: str) -> Page:
        page = self.page(role)
        response = page.goto(self.base + path)
        assert response is not None and response.status == 200, (
            f"{path} : HTTP {response.status if response else '—'}"
        )
        return page

    def sign_in(
        self, role: str, email_address: str, *, password: str = PASSWORD, totp=False
    ) -> Page:
        """Signs `role` in through the login page (and the second factor's page, for staff with
        a device)."""
        page = self.page(role)
        page.goto(self.base + "/compte/connexion/")
        page.fill("input[name=login]", email_address)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()
        if totp:
            page.fill("input[name=code]", totp_code(TOTP_SECRET))
            with page.expect_navigation():
                page.locator(
                    "form[action*='double-authentification'] button[type=submit]"
                ).first.click()
        return page

    # --- what each step checks ----------------------------------------------------------------

    def step(self, page: Page, name: str, expect_text: str | tuple[str, ...] = ()) -> str:
        """One step of the journey: the page's screenshot, its visible text free of internal
        identifiers, and the text that names the next action (or who acts next) on it. Returns
        the visible text."""
        page.wait_for_load_state("load")
        self.number += 1
        page.screenshot(
            path=str(self.captures / f"{self.number:02d}-{name}.jpg"),
            full_page=True,
            type="jpeg",
            quality=60,
        )
        visible = page.evaluate("document.body.innerText")
        if os.environ.get("JOURNEY_DEBUG"):
            (self.captures / f"{self.number:02d}-{name}.txt").write_text(page.url + "\n" + visible)
        for text in (expect_text,) if isinstance(expect_text, str) else expect_text:
            # Text that a script writes in place may come a moment later.
            deadline = time.monotonic() + TIMEOUT / 1000
            while text.lower() not in visible.lower() and time.monotonic() < deadline:
                page.wait_for_timeout(200)
                visible = page.evaluate("document.body.innerText")
            self.check(
                text.lower() in visible.lower(),
                f"{self.number:02d}-{name} ({page.url}) ne dit pas « {text} »",
                visible,
            )
        words = snake_case_words(visible)
        self.check(
            not words,
            f"{self.number:02d}-{name} ({page.url}) montre des identifiants internes : {words}",
            visible,
        )
        return visible

    def check(self, condition: bool, fault: str, visible: str = ""):
        """What a page says is checked without stopping the journey: every fault is listed at
        its end (`verify`), so that one run shows them all."""
        if not condition:
            self.faults.append(f"{fault}\n{visible[:4000]}" if visible else fault)

    def verify(self):
        assert not self.faults, f"Défauts relevés ({len(self.faults)}) :\n\n" + "\n\n".join(
            self.faults
        )

    def screenshot_everyone(self, name: str):
        for role, page in self.pages.items():
            page.screenshot(
                path=str(self.captures / f"{self.number + 1:02d}-{name}-{role}.jpg"),
                full_page=True,
                type="jpeg",
                quality=60,
            )

    # --- mail ---------------------------------------------------------------------------------

    def mails(self, to: str) -> list[email.message.EmailMessage]:
        """The messages the platform wrote to `to` (Django's file backend: one file per
        connection, messages separated by a line of dashes), oldest first."""
        found = []
        if not self.mail_dir.exists():
            return found
        for path in sorted(self.mail_dir.iterdir(), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not chunk.strip():
                    continue
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                if to in (message.get("To") or ""):
                    found.append(message)
        return found

    def mail_text(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in_mail(self, to: str, path_pattern: str) -> str:
        """The last link to `path_pattern` (a regular expression) written to `to`."""
        links = [
            link
            for message in self.mails(to)
            for link in re.findall(r"https?://\S+", self.mail_text(message))
            if re.search(path_pattern, link)
        ]
        assert links, f"aucun courriel à {to} ne contient de lien {path_pattern}"
        return links[-1]


def pdf_signature_is_valid(path: Path) -> str:
    """pdfsig's report of a sealed PDF, asserted valid (the demo CA is not trusted here)."""
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature Validation: Signature is Valid." in report.stdout, (
        report.stdout + report.stderr
    )
    return report.stdout


def qr_codes_in_pdf(path: Path, folder: Path) -> list[str]:
    """What the QR codes of the PDF's first page say: its rendering (pdftoppm) read by zbarimg."""
    prefix = folder / path.stem
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(prefix)], check=True
    )
    image = next(folder.glob(f"{path.stem}*.png"))
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, check=False
    )
    return [line for line in result.stdout.splitlines() if line.strip()]
