"""The cabinet's bot pages: create a DCA bot on a binding, start it, see its deal and orders and
the binding's BALANCE, stop it; bad parameters get a 4xx naming the field; bots stay private."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.check.support import VENUES
from tests.integration.web.support import funded, paste
from tests.support.control import Control
from tests.support.web import PASSWORD, User, new_user, web_app
from tradebind.bots.market_data import CcxtMarketData
from tradebind.bots.runner import BotRunner
from tradebind.domain.market import Market
from tradebind.exchanges.base import Endpoint
from tradebind.gateway.service import GatewayService
from tradebind.sandbox.server import SandboxServer
from tradebind.store import BotRepository
from tradebind.web.server import WebServer

GOOD = {
    "name": "dca btc",
    "symbol": "BTC/USDT",
    "base_order_quote": "50",
    "safety_order_quote": "50",
    "max_safety_orders": "2",
    "price_deviation_pct": "2",
    "step_scale": "1",
    "volume_scale": "1.5",
    "take_profit_pct": "1.5",
    "stop_loss_pct": "",
    "direction": "long",
    "leverage": "1",
}


@pytest.fixture
def cabinet(sandbox: SandboxServer, tmp_path: Path) -> Iterator[WebServer]:
    with web_app(sandbox.url, tmp_path) as server:
        yield server


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def browser(web: WebServer, user: User) -> requests.Session:
    """A signed-in browser session of ``user``."""
    s = requests.Session()
    assert user.device is not None
    token = csrf_of(s.get(f"{web.url}/login").text)
    body = {"email": user.email, "password": PASSWORD, "code": user.device.code(), "csrf": token}
    assert s.post(f"{web.url}/login", data=body).status_code == 200
    return s


def with_binding(web: WebServer, user: User, control: Control, account: str) -> str:
    funded(control, "okx", account, "5000")
    added = user.api.call(
        "POST", "/keys", json={"markets": ["spot"], "label": "main", **paste(control, "okx", account)}
    )
    assert added.status_code == 201, added.text
    binding_id: str = user.api.call("GET", "/keys").json()[0]["binding_id"]
    return binding_id


async def test_create_start_trade_and_stop_a_bot_from_its_pages(
    cabinet: WebServer, control: Control, account: str, sandbox: SandboxServer
) -> None:
    alice = new_user(cabinet.url)
    binding_id = with_binding(cabinet, alice, control, account)
    s = browser(cabinet, alice)
    form = s.get(f"{cabinet.url}/bots/new")
    assert form.status_code == 200
    assert f'value="{binding_id}"' in form.text

    bad = s.post(
        f"{cabinet.url}/bots",
        data={**GOOD, "take_profit_pct": "-1", "binding_id": binding_id, "csrf": csrf_of(form.text)},
    )
    assert bad.status_code == 422
    assert 'data-field="take_profit_pct"' in bad.text
    assert "Traceback" not in bad.text
    short = s.post(
        f"{cabinet.url}/bots", data={**GOOD, "direction": "short", "binding_id": binding_id, "csrf": csrf_of(form.text)}
    )
    assert short.status_code == 422
    assert 'data-field="direction"' in short.text
    forged = s.post(f"{cabinet.url}/bots", data={**GOOD, "binding_id": binding_id, "csrf": "forged"})
    assert forged.status_code == 403

    created = s.post(f"{cabinet.url}/bots", data={**GOOD, "binding_id": binding_id, "csrf": csrf_of(form.text)})
    assert created.status_code == 200
    bot_url = created.url
    assert re.search(r"/bots/[0-9a-f-]{36}$", bot_url)
    assert 'id="bot-state">stopped' in created.text
    assert 'id="bot-balance">5,000.00 USDT' in created.text
    started = s.post(f"{bot_url}/start", data={"csrf": csrf_of(created.text)})
    assert 'id="bot-state">running' in started.text

    async with GatewayService(cabinet.ctx.store, cabinet.ctx.vault, Endpoint(sandbox_url=sandbox.url)) as gateway:
        market = CcxtMarketData(sandbox.url)
        try:
            await BotRunner(cabinet.ctx.store, gateway, market).tick()
        finally:
            await market.close()

    page = s.get(bot_url).text
    on_exchange = control.orders("okx", account)
    assert len(on_exchange) == 3  # base (filled), first safety order and take profit (resting)
    for order in on_exchange:
        assert f'data-order="{order["client_order_id"]}"' in page
    base = next(o for o in on_exchange if o["type"] == "market")
    assert base["status"] == "filled"
    deal_row = re.search(r'<tr data-deal="[^"]+">(.*?)</tr>', page, re.S)
    assert deal_row is not None
    assert ">open<" in deal_row.group(1)
    assert f">{base['filled_qty']}<" in deal_row.group(1)  # filled amount of the deal

    stopped = s.post(f"{bot_url}/stop", data={"csrf": csrf_of(page)})
    assert 'id="bot-state">stopped' in stopped.text
    bob = browser(cabinet, new_user(cabinet.url))
    assert bob.get(bot_url).status_code == 404
    assert bob.post(f"{bot_url}/start", data={"csrf": csrf_of(bob.get(f"{cabinet.url}/bots").text)}).status_code == 404


async def test_a_failed_bot_says_why_and_can_be_fixed_and_restarted(
    cabinet: WebServer, control: Control, account: str, sandbox: SandboxServer
) -> None:
    alice = new_user(cabinet.url)
    binding_id = with_binding(cabinet, alice, control, account)
    s = browser(cabinet, alice)
    form = s.get(f"{cabinet.url}/bots/new")
    created = s.post(f"{cabinet.url}/bots", data={**GOOD, "binding_id": binding_id, "csrf": csrf_of(form.text)})
    bot_id = created.url.rsplit("/", 1)[1]
    s.post(f"{created.url}/start", data={"csrf": csrf_of(created.text)})
    # Parameters changed behind the form's back (e.g. through an older API client) to ones the
    # strategy refuses: the runner marks the bot failed instead of trading with them.
    bots = BotRepository(cabinet.ctx.store, alice.owner_id)
    bots.configure(bot_id, params={**bots.get(bot_id).params, "take_profit_pct": "0"})
    async with GatewayService(cabinet.ctx.store, cabinet.ctx.vault, Endpoint(sandbox_url=sandbox.url)) as gateway:
        market = CcxtMarketData(sandbox.url)
        try:
            await BotRunner(cabinet.ctx.store, gateway, market).tick()
        finally:
            await market.close()
    failed = s.get(created.url)
    assert 'id="bot-state">failed' in failed.text
    failure = re.search(r'id="bot-failure">(.*?)</div>', failed.text, re.S)
    assert failure is not None
    assert "take_profit_pct" in failure.group(1)
    refused = s.post(f"{created.url}/start", data={"csrf": csrf_of(failed.text)})
    assert refused.status_code == 422
    assert "take_profit_pct" in refused.text

    edit = s.get(f"{created.url}/edit")
    assert 'value="0"' in edit.text  # the stored take profit, shown for fixing
    still_bad = s.post(
        created.url, data={**GOOD, "take_profit_pct": "0", "binding_id": binding_id, "csrf": csrf_of(edit.text)}
    )
    assert still_bad.status_code == 422
    assert 'data-field="take_profit_pct"' in still_bad.text
    fixed = s.post(
        created.url, data={**GOOD, "take_profit_pct": "2.5", "binding_id": binding_id, "csrf": csrf_of(edit.text)}
    )
    assert fixed.status_code == 200
    assert "<dt>take_profit_pct</dt><dd>2.5</dd>" in fixed.text
    restarted = s.post(f"{created.url}/start", data={"csrf": csrf_of(fixed.text)})
    assert 'id="bot-state">running' in restarted.text


def test_futures_bots_sharing_a_position_must_agree_on_leverage_and_direction(
    cabinet: WebServer, control: Control, account: str
) -> None:
    alice = new_user(cabinet.url)
    funded(control, "okx", account, "5000")
    key = paste(control, "okx", account, VENUES["okx"].trade[Market.FUTURES])
    added = alice.api.call("POST", "/keys", json={"markets": ["futures"], "label": "perps", **key})
    assert added.status_code == 201, added.text
    binding_id = added.json()["reports"][0]["binding_id"]
    s = browser(cabinet, alice)

    def create_and_start(name: str, leverage: str, direction: str = "long") -> requests.Response:
        form = s.get(f"{cabinet.url}/bots/new")
        settings = {**GOOD, "name": name, "leverage": leverage, "direction": direction, "max_safety_orders": "0"}
        created = s.post(f"{cabinet.url}/bots", data={**settings, "binding_id": binding_id, "csrf": csrf_of(form.text)})
        assert created.status_code == 200, created.text
        return s.post(f"{created.url}/start", data={"csrf": csrf_of(created.text)})

    assert create_and_start("perp a", "5").status_code == 200
    other_leverage = create_and_start("perp b", "10")
    assert other_leverage.status_code == 409
    assert "“perp a”" in other_leverage.text
    assert "5x" in other_leverage.text
    opposite = create_and_start("perp c", "5", "short")
    assert opposite.status_code == 409
    assert "would net each other out" in opposite.text
    assert create_and_start("perp d", "5").status_code == 200  # agrees with perp a
    states = {b.name: b.state.value for b in BotRepository(cabinet.ctx.store, alice.owner_id).all()}
    assert states == {"perp a": "running", "perp b": "stopped", "perp c": "stopped", "perp d": "running"}
    running = next(b for b in BotRepository(cabinet.ctx.store, alice.owner_id).all() if b.name == "perp d")
    edit = s.get(f"{cabinet.url}/bots/{running.id}/edit")
    settings = {**GOOD, "name": "perp d", "leverage": "10", "max_safety_orders": "0", "binding_id": binding_id}
    changed = s.post(f"{cabinet.url}/bots/{running.id}", data={**settings, "csrf": csrf_of(edit.text)})
    assert changed.status_code == 409
    assert "“perp a”" in changed.text
    assert BotRepository(cabinet.ctx.store, alice.owner_id).get(running.id).params["leverage"] == "5"
