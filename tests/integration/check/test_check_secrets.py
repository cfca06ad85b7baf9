"""Canary: key material never reaches the check's logs, its report, or its reprs."""

from __future__ import annotations

import json
import logging

import pytest

from tradebind.domain.market import Market
from tradebind.exchanges.base import ApiCredentials, Endpoint
from tradebind.exchanges.registry import open_adapter
from tradebind.vault.api import SecretValue

from .support import HERE, PASSPHRASE, VENUES, check, fund, new_key

CASES = [
    (exchange, damage)
    for exchange, facts in VENUES.items()
    for damage in ("none", "secret", *(("passphrase",) if facts.passphrase else ()))
]


@pytest.mark.parametrize(("exchange", "damage"), CASES, ids=[f"{e}-{d}" for e, d in CASES])
async def test_secret_never_in_logs_or_report(sandbox, control, account, exchange, damage, caplog):
    caplog.set_level(logging.DEBUG)
    creds = new_key(control, exchange, account, [*VENUES[exchange].trade[Market.SPOT], "withdraw"], ips=[HERE])
    fund(control, exchange, Market.SPOT, account, "100")
    used = creds
    if damage == "secret":
        used = ApiCredentials(creds.api_key, SecretValue(creds.secret.reveal()[::-1]), creds.passphrase)
    elif damage == "passphrase":
        used = ApiCredentials(creds.api_key, creds.secret, SecretValue(PASSPHRASE[::-1]))
    report = await check(sandbox.url, exchange, Market.SPOT, used)
    dumped = json.dumps(report.to_json()) + repr(report) + repr(used)
    async with open_adapter(exchange, used, Endpoint(sandbox_url=sandbox.url)) as adapter:
        dumped += repr(adapter)
    assert "check finished" in caplog.text  # the check did log, at every level
    # ccxt logs every request's headers at DEBUG; they went through the scrubbing logger.
    assert any(r.name == "tradebind.exchanges.ccxt" and "Request" in r.getMessage() for r in caplog.records)
    materials = [used.secret.reveal(), creds.secret.reveal(), creds.api_key.reveal()]
    materials += [p.reveal() for p in (used.passphrase, creds.passphrase) if p is not None]
    for material in materials:
        assert material not in caplog.text
        assert material not in dumped
    assert creds.key_id_masked in dumped  # the key is named, masked
