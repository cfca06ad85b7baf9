"""Steps of the user journey in the browser, shared by the browser tests."""

from __future__ import annotations

import uuid

import pyotp
from playwright.sync_api import Page, expect

from tests.support.web import PASSWORD


def sign_up(page: Page, base: str) -> str:
    email = f"b{uuid.uuid4().hex[:10]}@example.com"
    page.goto(f"{base}/signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("API keys")
    return email


def enable_2fa(page: Page, base: str) -> pyotp.TOTP:
    page.goto(f"{base}/security")
    expect(page.locator("#twofa-state")).to_have_text("Off")
    page.click("#start-2fa")
    secret = page.locator("#totp-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.fill("#code", totp.now())
    page.click("form[action='/security/2fa/confirm'] button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    return totp


def create_exchange_key(
    page: Page,
    sandbox: str,
    exchange: str,
    account: str,
    permissions: list[str],
    ips: str = "127.0.0.1",
    passphrase: str | None = None,
) -> tuple[str, str]:
    """Create a key on the sandbox's API-management page as a user would; returns key and secret."""
    page.goto(f"{sandbox}/{exchange}/?account={account}")
    page.fill("#label", "tradebind bot")
    for box in page.locator("input[name=permissions]").all():
        value = box.get_attribute("value") or ""
        box.set_checked(value in permissions)
    page.fill("#ips", ips)
    if passphrase is not None:
        page.fill("#passphrase", passphrase)
    page.click("form[action$='/api-management/keys'] button[type=submit]")
    api_key = page.locator("#new-api-key").inner_text().strip()
    secret = page.locator("#new-secret").inner_text().strip()
    return api_key, secret


def deposit(page: Page, sandbox: str, exchange: str, account: str, wallet: str, amount: str) -> None:
    page.goto(f"{sandbox}/{exchange}/?account={account}")
    page.select_option("#wallet", wallet)
    page.fill("#amount", amount)
    page.click("form[action$='/api-management/deposits'] button[type=submit]")
    expect(page.locator(".alert.ok")).to_contain_text(f"Deposited {amount}")


def paste_key(
    page: Page,
    base: str,
    exchange: str,
    label: str,
    api_key: str,
    secret: str,
    passphrase: str | None = None,
    markets: tuple[str, ...] = ("spot",),
) -> None:
    page.goto(f"{base}/keys/new")
    page.check(f"input[name=exchange][value={exchange}]")
    for market in ("spot", "futures"):
        page.locator(f"input[name=markets][value={market}]").set_checked(market in markets)
    page.fill("#label", label)
    page.fill("#api_key", api_key)
    page.fill("#secret", secret)
    if passphrase is not None:
        page.fill("#passphrase", passphrase)
    page.click("#save-key")
