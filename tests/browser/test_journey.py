"""The whole journey of a new user in Chromium: sign up, 2FA, a key from the exchange's page,
CONNECTED with the balance; refused keys (withdraw, IP, OKX passphrase); replacing a key under bots."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shots
from tests.browser.journey import create_exchange_key, deposit, enable_2fa, paste_key, sign_up
from tradebind.sandbox.server import SandboxServer
from tradebind.store import BotRepository
from tradebind.store.web_accounts import WebAccounts
from tradebind.web.server import WebServer


def _account() -> str:
    return f"web-{uuid.uuid4().hex[:10]}"


def test_new_user_connects_a_key_and_sees_its_balance(
    page: Page, web: WebServer, sandbox: SandboxServer, shots: Shots
) -> None:
    email = sign_up(page, web.url)
    shots("keys-empty")
    enable_2fa(page, web.url)
    shots("recovery-codes")
    page.click("#continue")
    account = _account()
    deposit(page, sandbox.url, "binance", account, "spot", "2500")
    api_key, secret = create_exchange_key(page, sandbox.url, "binance", account, ["read", "spot"])
    shots("exchange-key-created")
    paste_key(page, web.url, "binance", "Main DCA", api_key, secret)
    report = page.locator(".report[data-market=spot]")
    expect(report.locator("[data-verdict]")).to_have_text("CONNECTED")
    expect(report.locator(".available-amount")).to_have_text("2,500.00 USDT")
    expect(report.locator(".ips")).to_contain_text("127.0.0.1")
    shots("key-saved-report")
    page.goto(f"{web.url}/keys")
    row = page.locator("#key-list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("[data-verdict]")).to_have_text("CONNECTED")
    expect(row.locator(".available")).to_contain_text("2,500.00")
    expect(row).to_contain_text(f"{api_key[:4]}…{api_key[-4:]}")
    expect(page.locator("body")).not_to_contain_text(secret)
    shots("keys-list")
    for path, name in (("/bots", "bots-empty"), ("/activity", "activity"), ("/status", "status")):
        page.goto(f"{web.url}{path}")
        shots(name)
    expect(page.locator("#exchange-status tr[data-exchange=binance]")).to_contain_text("reachable")
    page.goto(f"{web.url}/keys/new")
    shots("add-key-form")
    page.click("#logout")
    expect(page.locator("h1")).to_have_text("Log in")
    owner = WebAccounts(web.ctx.store, web.ctx.vault).by_email(email)
    assert owner is not None
    assert owner.totp_enabled


def test_refused_keys_show_the_fix_and_are_not_saved(
    page: Page, web: WebServer, sandbox: SandboxServer, shots: Shots
) -> None:
    sign_up(page, web.url)
    enable_2fa(page, web.url)
    account = _account()
    key, secret = create_exchange_key(page, sandbox.url, "binance", account, ["read", "spot", "withdraw"])
    paste_key(page, web.url, "binance", "Withdraw key", key, secret)
    expect(page.locator(".report [data-verdict]")).to_have_text("WITHDRAW_ENABLED")
    expect(page.locator(".alert.error")).to_contain_text("not saved")
    expect(page.locator(".report .fix")).to_contain_text("Withdraw")
    expect(page.locator(".perms tr.bad")).to_contain_text("withdraw")
    shots("withdraw-enabled")

    key, secret = create_exchange_key(
        page, sandbox.url, "okx", account, ["read_only", "trade"], ips="127.0.0.2", passphrase="Okx-Pass-123"
    )
    paste_key(page, web.url, "okx", "OKX elsewhere", key, secret, passphrase="Okx-Pass-123")
    expect(page.locator(".report [data-verdict]")).to_have_text("IP_NOT_ALLOWED")
    expect(page.locator("#egress-ips").first).to_have_text("127.0.0.1")
    shots("ip-not-allowed")

    key, secret = create_exchange_key(
        page, sandbox.url, "okx", account, ["read_only", "trade"], passphrase="Okx-Pass-123"
    )
    page.goto(f"{web.url}/keys/new")
    expect(page.locator("#passphrase-row")).to_be_hidden()
    page.check("input[name=exchange][value=okx]")
    expect(page.locator("#passphrase-row")).to_be_visible()
    paste_key(page, web.url, "okx", "OKX typo", key, secret, passphrase="Okx-Pass-124")
    expect(page.locator(".report [data-verdict]")).to_have_text("INVALID_PASSPHRASE")
    shots("wrong-passphrase")
    page.goto(f"{web.url}/keys")
    expect(page.locator("#key-list")).to_have_count(0)
    expect(page.locator(".empty-state")).to_be_visible()


def test_replacing_a_key_keeps_the_bots_on_their_binding(
    page: Page, web: WebServer, sandbox: SandboxServer, shots: Shots
) -> None:
    email = sign_up(page, web.url)
    enable_2fa(page, web.url)
    account = _account()
    deposit(page, sandbox.url, "bybit", account, "unified", "900")
    key, secret = create_exchange_key(page, sandbox.url, "bybit", account, ["read", "spot"])
    paste_key(page, web.url, "bybit", "Bybit main", key, secret)
    expect(page.locator(".report [data-verdict]")).to_have_text("CONNECTED")
    binding_href = page.locator(".binding-link").get_attribute("href") or ""
    binding_id = binding_href.rsplit("/", 1)[-1]
    owner = WebAccounts(web.ctx.store, web.ctx.vault).by_email(email)
    assert owner is not None
    bots = BotRepository(web.ctx.store, owner.owner_id)
    bot = bots.add("DCA BTC", binding_id, "BTC/USDT", "dca", {"step": "10"})
    bots.set_state(bot.id, "running")

    page.goto(f"{web.url}/bots")
    expect(page.locator(f"tr[data-bot='{bot.id}'] .balance")).to_contain_text("900.00")
    shots("bots")

    page.goto(f"{web.url}{binding_href}")
    page.click("#delete-binding")
    expect(page.locator(".alert.error")).to_contain_text("DCA BTC")
    shots("delete-refused")

    new_key, new_secret = create_exchange_key(page, sandbox.url, "bybit", account, ["read", "spot"])
    page.goto(f"{web.url}{binding_href}")
    page.fill("#replace-form #api_key", new_key)
    page.fill("#replace-form #secret", new_secret)
    page.click("#replace-key")
    expect(page.locator(".alert.ok")).to_contain_text("Key replaced")
    expect(page.locator("#masked-key")).to_have_text(f"{new_key[:4]}…{new_key[-4:]}")
    expect(page.locator("#binding-bots")).to_contain_text("DCA BTC")
    shots("binding-replaced")
    assert bots.get(bot.id).binding_id == binding_id
    page.goto(f"{web.url}/bots")
    expect(page.locator(f"tr[data-bot='{bot.id}'] .bot-binding")).to_have_text("Bybit main")
    page.goto(f"{web.url}/activity")
    expect(page.locator("table.activity")).to_contain_text("credential.replace")
