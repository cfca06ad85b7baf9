"""``tradebind check``: test one API key for one market and print the report.

Key material is read from ``TRADEBIND_API_KEY``, ``TRADEBIND_API_SECRET`` and (OKX)
``TRADEBIND_API_PASSPHRASE``, or prompted for without echo; never from argv, where any user of
the machine could read it. Exit status: 0 for ``CONNECTED`` / ``CONNECTED_WITH_WARNINGS``, 1 for
any other verdict, 2 for usage errors.
"""

from __future__ import annotations

import asyncio
import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from .check.report import CheckReport
    from .exchanges.base import ApiCredentials

# Exchanges whose keys carry a passphrase (OKX's "passphrase", set when the key is created).
_NEEDS_PASSPHRASE = {"okx"}


class ExchangeChoice(StrEnum):
    BINANCE = "binance"
    OKX = "okx"
    BYBIT = "bybit"


class MarketChoice(StrEnum):
    SPOT = "spot"
    FUTURES = "futures"


def _secret(env: str, prompt: str) -> str:
    value = os.environ.get(env)
    if value is None:
        if not sys.stdin.isatty():
            raise typer.BadParameter(f"{env} is not set and there is no terminal to ask on", param_hint=env)
        value = typer.prompt(prompt, hide_input=True)
    value = value.strip()
    if not value:
        raise typer.BadParameter("must not be empty", param_hint=env)
    return value


def _credentials(exchange: str) -> ApiCredentials:
    from .exchanges.base import ApiCredentials
    from .vault.api import SecretValue

    key = SecretValue(_secret("TRADEBIND_API_KEY", "API key"))
    secret = SecretValue(_secret("TRADEBIND_API_SECRET", "API secret"))
    phrase = (
        SecretValue(_secret("TRADEBIND_API_PASSPHRASE", "API passphrase")) if exchange in _NEEDS_PASSPHRASE else None
    )
    return ApiCredentials(key, secret, phrase)


def check_command(
    exchange: Annotated[ExchangeChoice, typer.Option(help="Exchange the key belongs to.")],
    market: Annotated[MarketChoice, typer.Option(help="Market the binding will trade.")],
    sandbox: Annotated[
        str | None, typer.Option(help="Check against a tradebind sandbox at this base URL instead.")
    ] = None,
    testnet: Annotated[
        bool, typer.Option("--testnet", help="Use the exchange's testnet / demo environment (with --sandbox too).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Check an API key: reachability, clock, authentication, permissions, IP list and balances.

    Key material comes from TRADEBIND_API_KEY, TRADEBIND_API_SECRET and TRADEBIND_API_PASSPHRASE
    (OKX), or is asked for without echo.
    """
    from .check.run import run_check
    from .domain.market import Market
    from .domain.policy import CheckPolicy
    from .exchanges.base import Endpoint, Environment
    from .exchanges.registry import open_adapter

    if sandbox is not None and not sandbox.startswith(("http://", "https://")):
        raise typer.BadParameter("must be an http(s) URL", param_hint="--sandbox")
    try:
        policy = CheckPolicy.from_env(os.environ)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).split(":", 1)[1].strip(), param_hint=str(exc).split(":", 1)[0]) from None
    credentials = _credentials(exchange.value)
    environment = Environment.TESTNET if testnet else Environment.LIVE
    endpoint = Endpoint(environment=environment, sandbox_url=sandbox)

    async def check() -> CheckReport:
        async with open_adapter(exchange.value, credentials, endpoint) as adapter:
            return await run_check(adapter, Market(market.value), policy)

    report = asyncio.run(check())
    if as_json:
        import orjson

        typer.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        _print_summary(report)
    raise typer.Exit(0 if report.decision.verdict.accepted else 1)


def _print_summary(report: CheckReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    d = report.decision
    style = "green" if d.verdict.accepted else "red"
    subject = f"{report.exchange} {report.market.value}, key {report.key_id_masked}"
    console.print(f"[bold {style}]{d.verdict.value}[/]  {subject}")
    # The fix comes first; with warnings only, each warning is its own fix.
    if d.problems or not d.warnings:
        console.print(f"[bold]Fix:[/] {d.fix}")
    else:
        console.print("[bold]Fix:[/]")
    for finding in (*d.problems[1:], *d.warnings):
        console.print(f"  • [yellow]{finding.code.value}[/]: {finding.fix}")
    if report.key is not None:
        rights = ", ".join(sorted(p.value for p in report.key.permissions)) or "none"
        if not report.key.ip_restricted:
            ips = "none (open to every IP)"
        else:
            ips = ", ".join(report.key.ips) if report.key.ips else "set (the exchange does not show it)"
        console.print(f"Permissions: {rights}; IP allow-list: {ips}")
    b = report.balance
    if b is None:
        return
    if b.assets:
        table = Table(title=f"{b.account} account", title_justify="left")
        for column in ("asset", "wallet", "unrealised PnL", "position margin", "in orders", "available"):
            table.add_column(column, justify="right")
        for line in b.assets:
            f = line.amounts
            figures = (f.wallet_balance, f.unrealised_pnl, f.position_margin, f.order_reserved, f.available)
            table.add_row(line.asset, *(f"{v.normalize():f}" for v in figures))
        console.print(table)
    console.print(b.explanation)
