"""Key material in the adapter: masked in reprs, scrubbed from evidence and from ccxt's logs."""

from __future__ import annotations

import logging

from tradebind.exchanges.base import ApiCredentials, Endpoint
from tradebind.exchanges.registry import ADAPTERS, open_adapter
from tradebind.vault.api import SecretValue

KEY = "AbCdEfGh1234567890KeyIdCanary"
SECRET = "S3cr3t-Canary-Value-0001"
PHRASE = "Passphrase-Canary-0002"
CREDS = ApiCredentials(SecretValue(KEY), SecretValue(SECRET), SecretValue(PHRASE))


def test_credentials_repr_shows_the_masked_key_only():
    assert repr(CREDS) == "ApiCredentials(api_key='AbCd…nary')"


async def test_scrub_masks_the_key_and_redacts_secret_and_passphrase():
    async with open_adapter("okx", CREDS, Endpoint(sandbox_url="http://127.0.0.1:9")) as adapter:
        text = adapter.scrub(f"headers {{'OK-ACCESS-KEY': '{KEY}', 'OK-ACCESS-PASSPHRASE': '{PHRASE}'}} {SECRET}")
        assert text == "headers {'OK-ACCESS-KEY': 'AbCd…nary', 'OK-ACCESS-PASSPHRASE': '<redacted>'} <redacted>"
        assert KEY not in repr(adapter)


async def test_ccxt_debug_log_goes_through_the_scrubber(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ADAPTERS:
        async with open_adapter(name, CREDS, Endpoint(sandbox_url="http://127.0.0.1:9")) as adapter:
            adapter.client.logger.debug("%s %s, Request: %s %s", "GET", "http://x", {"key": KEY, "p": PHRASE}, SECRET)
    assert caplog.records
    assert all(r.name == "tradebind.exchanges.ccxt" for r in caplog.records)
    for value in (KEY, SECRET, PHRASE):
        assert value not in caplog.text
