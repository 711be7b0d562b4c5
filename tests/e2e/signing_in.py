"""Signing in through the login page, as a person does (the browser tests)."""

from tests.conftest import PASSWORD


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/compte/connexion/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
