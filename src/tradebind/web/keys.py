"""Use cases of API keys, shared by the pages and the JSON API: add (check first), re-check,
replace the material of a binding's credential, delete, and the key list.

A key is saved only when the check of every chosen market accepts it (``CONNECTED`` or
``CONNECTED_WITH_WARNINGS``); otherwise nothing is stored and the reports say why. The check
runs here, not per list request: its verdict, available amount and report are stored per binding
(:class:`~tradebind.store.binding_checks.BindingCheckRepository`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tradebind.check.run import run_check
from tradebind.domain.key_material import KeyMaterial, KeyMaterialError, validate_key_material
from tradebind.domain.market import Market
from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.base import ApiCredentials
from tradebind.exchanges.registry import open_adapter
from tradebind.store import BindingRepository, CredentialRepository, StoreError
from tradebind.store.binding_checks import BindingCheckRepository, KeyListRow
from tradebind.vault.api import SecretValue
from tradebind.web.context import WebContext
from tradebind.web.errors import WebError, from_store

__all__ = ["AddOutcome", "KeyService", "MarketReport"]


@dataclass(frozen=True, slots=True)
class MarketReport:
    """The check report (JSON form) of one market, and the binding it created or updated, if any."""

    market: str
    report: dict[str, Any]
    binding_id: str | None = None

    @property
    def accepted(self) -> bool:
        return Verdict(self.report["verdict"]).accepted


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What adding or replacing a key did: ``saved`` only when every market's check accepted it."""

    saved: bool
    credential_id: str | None
    reports: list[MarketReport]


def _markets(markets: list[str]) -> list[Market]:
    chosen: list[Market] = []
    for m in markets:
        try:
            market = Market(m)
        except ValueError:
            raise WebError(422, "markets: each must be spot or futures", "markets") from None
        if market not in chosen:
            chosen.append(market)
    if not chosen:
        raise WebError(422, "markets: choose at least one market (spot or futures)", "markets")
    return chosen


def _material(exchange: str, api_key: str, secret: str, passphrase: str | None) -> KeyMaterial:
    try:
        return validate_key_material(exchange, api_key, secret, passphrase or None)
    except KeyMaterialError as exc:
        first = exc.problems[0]
        raise WebError(
            422,
            first.message,
            first.field,
            extra={"problems": [{"field": p.field, "message": p.message} for p in exc.problems]},
        ) from None


class KeyService:
    """One owner's keys. Every method is scoped to ``owner_id``; other owners' ids give 404."""

    def __init__(self, ctx: WebContext, owner_id: str) -> None:
        self._ctx = ctx
        self._owner = owner_id
        self.credentials = CredentialRepository(ctx.store, ctx.vault, owner_id)
        self.bindings = BindingRepository(ctx.store, owner_id)
        self.checks = BindingCheckRepository(ctx.store, owner_id)

    # -- checking -------------------------------------------------------------------------------

    def check(self, exchange: str, credentials: ApiCredentials, markets: Sequence[Market]) -> list[dict[str, Any]]:
        """Check the key for each of ``markets`` (blocking: call from a worker thread), in the
        order given, and record the exchange's health.

        The markets are checked at once, each on a client of its own (a report's evidence is its
        client's), on the app's :class:`~tradebind.web.exchange_loop.ExchangeLoop`: a key for Spot
        and Futures takes one check's time, and the clients close after the answer, in the
        background (their close waits 250 ms, most of a check against the sandbox)."""

        async def one(market: Market) -> dict[str, Any]:
            adapter = open_adapter(exchange, credentials, self._ctx.endpoint)
            try:
                report = await run_check(adapter, market, self._ctx.policy)
            finally:
                self._ctx.exchanges.close_later(adapter)
            self._ctx.health.record(exchange, report.decision.verdict)
            return report.to_json()

        async def run() -> list[dict[str, Any]]:
            return list(await asyncio.gather(*(one(m) for m in markets)))

        return self._ctx.exchanges.run(run())

    @staticmethod
    def _api_credentials(material: KeyMaterial) -> ApiCredentials:
        return ApiCredentials(SecretValue(material.api_key), material.secret, material.passphrase)

    def _remember(self, credential_id: str, market_report: MarketReport) -> None:
        report = market_report.report
        if market_report.binding_id is not None:
            self.checks.record(market_report.binding_id, report)
        perms = report.get("permissions") or {}
        ips = (report.get("ip_restriction") or {}).get("ips") or []
        self.credentials.record_check(
            credential_id,
            verdict=str(report["verdict"]),
            permissions=[name for name, on in perms.items() if on],
            ips=list(ips),
            account=report.get("account"),
        )

    # -- use cases ------------------------------------------------------------------------------

    def add(
        self, exchange: str, markets: list[str], label: str, api_key: str, secret: str, passphrase: str | None
    ) -> AddOutcome:
        """Check the key for every market; save it (credential + one binding per market) only if all pass."""
        label = label.strip()
        if not label or len(label) > 200:
            raise WebError(422, "label: must be 1 to 200 characters", "label")
        chosen = _markets(markets)
        material = _material(exchange, api_key, secret, passphrase)
        creds = self._api_credentials(material)
        checked = self.check(material.exchange.value, creds, chosen)
        reports = [MarketReport(m.value, report) for m, report in zip(chosen, checked, strict=True)]
        if not all(r.accepted for r in reports):
            return AddOutcome(False, None, reports)
        try:
            credential = self.credentials.add(material, label)
            saved = []
            for r in reports:
                binding = self.bindings.add(
                    credential.id, r.market, label if len(chosen) == 1 else f"{label} {r.market}"
                )
                saved.append(MarketReport(r.market, r.report, binding.id))
            for r in saved:
                self._remember(credential.id, r)
        except StoreError as exc:
            raise from_store(exc) from None
        return AddOutcome(True, credential.id, saved)

    def recheck(self, binding_id: str) -> MarketReport:
        """Check the binding's current key again (the credential is opened for purpose ``check``)."""
        try:
            binding = self.bindings.get(binding_id)
            opened = self.credentials.open(binding.credential_id, purpose="check")
        except StoreError as exc:
            raise from_store(exc) from None
        creds = ApiCredentials(opened.api_key, opened.secret, opened.passphrase)
        (report,) = self.check(opened.exchange.value, creds, [binding.market])
        result = MarketReport(binding.market.value, report, binding.id)
        try:
            self._remember(binding.credential_id, result)
        except StoreError as exc:
            raise from_store(exc) from None
        return result

    def replace(self, binding_id: str, api_key: str, secret: str, passphrase: str | None) -> AddOutcome:
        """Check new material for every market of the binding's credential; replace it only if all pass.

        The bindings stay the same objects, so every bot on them uses the new key from its next
        request on.
        """
        try:
            binding = self.bindings.get(binding_id)
            credential = self.credentials.get(binding.credential_id)
            siblings = self.bindings.all(credential_id=credential.id)
        except StoreError as exc:
            raise from_store(exc) from None
        material = _material(credential.exchange.value, api_key, secret, passphrase)
        creds = self._api_credentials(material)
        checked = self.check(material.exchange.value, creds, [b.market for b in siblings])
        reports = [MarketReport(b.market.value, r, b.id) for b, r in zip(siblings, checked, strict=True)]
        if not all(r.accepted for r in reports):
            return AddOutcome(False, credential.id, reports)
        try:
            self.credentials.replace_material(credential.id, material)
            for r in reports:
                self._remember(credential.id, r)
        except StoreError as exc:
            raise from_store(exc) from None
        return AddOutcome(True, credential.id, reports)

    def delete(self, binding_id: str) -> None:
        """Delete the binding; the credential too (crypto-shredded) when it was its last binding.

        Refused (409, listing them) while bots that are not stopped use it.
        """
        try:
            binding = self.bindings.get(binding_id)
            others = [b for b in self.bindings.all(credential_id=binding.credential_id) if b.id != binding_id]
            if others:
                self.bindings.delete(binding_id)
            else:
                self.credentials.delete(binding.credential_id)
        except StoreError as exc:
            raise from_store(exc) from None

    def key_list(self) -> list[KeyListRow]:
        return self.checks.key_list()

    def row(self, binding_id: str) -> KeyListRow:
        rows = self.checks.key_list(binding_id=binding_id)
        if not rows:
            raise WebError(404, "binding not found")
        return rows[0]
