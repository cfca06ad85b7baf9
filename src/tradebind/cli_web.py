"""``tradebind serve`` (the web cabinet and JSON API) and ``tradebind demo`` (the same with the
sandbox exchange and a funded demo account).

Both use the data directory of the settings (``TRADEBIND_DATA_DIR``; see
:mod:`tradebind.settings`). ``demo`` keeps its own data directory unless one is set, runs the
sandbox as a child process whose state file lives there too (keys created on its pages survive a
restart), and points every check at it.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["demo_command", "serve_command"]

# Where the demo's "demo" exchange account keeps its starting funds, per exchange (wallet names
# of the sandbox control API): the trading wallets a bot's binding uses.
_DEMO_FUNDS = {"binance": ("spot", "futures"), "okx": ("trading",), "bybit": ("unified",)}
_DEMO_AMOUNT = "10000"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run(host: str, port: int, sandbox_url: str | None, secure_cookies: bool | None, banner: list[str]) -> None:
    import uvicorn

    from .settings import Settings, SettingsError
    from .store import StoreError
    from .web.app import create_app
    from .web.server import ForegroundServer, build_context

    try:
        settings = Settings.from_env()
        # Plain HTTP works only on loopback, where browsers accept cookies without Secure.
        secure = secure_cookies if secure_cookies is not None else not _loopback(host)
        ctx = build_context(settings, sandbox_url=sandbox_url, secure_cookies=secure)
    except (SettingsError, StoreError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"tradebind web cabinet at http://{shown}:{port}/  (API: /api/v1, schema: /openapi.json)")
    for line in banner:
        typer.echo(line)
    try:
        config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning", access_log=False)
        ForegroundServer(config).run()
    finally:
        ctx.exchanges.stop()
        ctx.store.close()


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    sandbox: Annotated[
        str | None, typer.Option(help="Check keys against a tradebind sandbox at this base URL instead.")
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Mark session cookies Secure (HTTPS only). Default: on unless listening on loopback.",
        ),
    ] = None,
) -> None:
    """Run the web cabinet and JSON API on the data directory until stopped."""
    if sandbox is not None and not sandbox.startswith(("http://", "https://")):
        raise typer.BadParameter("must be an http(s) URL", param_hint="--sandbox")
    _run(host, port, sandbox, secure_cookies, [])


def _fund_demo(sandbox_url: str) -> None:
    """Give the sandbox's ``demo`` account its starting USDT once (a restart keeps the state)."""
    import requests

    control = f"{sandbox_url}/sandbox/v1"
    for exchange, wallets in _DEMO_FUNDS.items():
        held = requests.get(f"{control}/balances", params={"exchange": exchange, "account": "demo"}, timeout=30)
        held.raise_for_status()
        if any(held.json().get("wallets", {}).get(w) for w in wallets):
            continue
        for wallet in wallets:
            body = {"exchange": exchange, "account": "demo", "wallet": wallet, "asset": "USDT", "amount": _DEMO_AMOUNT}
            requests.post(f"{control}/deposits", json=body, timeout=30).raise_for_status()


def demo_command(
    host: Annotated[str, typer.Option(help="Address of the web cabinet.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web cabinet.")] = 8000,
    sandbox_port: Annotated[int, typer.Option(help="Port of the sandbox exchange.")] = 8700,
) -> None:
    """Run the web cabinet with the sandbox exchange and a funded demo account: the whole journey locally."""
    import platformdirs

    from .sandbox.server import SandboxNotReady, SandboxProcess

    if not os.environ.get("TRADEBIND_DATA_DIR"):
        os.environ["TRADEBIND_DATA_DIR"] = str(Path(platformdirs.user_data_dir("tradebind")) / "demo")
    # The cabinet's connections to the local sandbox come from 127.0.0.1: that is what to whitelist.
    os.environ.setdefault("TRADEBIND_EGRESS_IPS", "127.0.0.1")
    data_dir = Path(os.environ["TRADEBIND_DATA_DIR"]).expanduser()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    state = data_dir / "sandbox-state.json"
    try:
        process = SandboxProcess("--host", host, "--port", str(sandbox_port), "--state", str(state)).start()
    except SandboxNotReady as exc:
        typer.echo(f"error: the sandbox exchange did not start (is port {sandbox_port} free?): {exc}", err=True)
        raise typer.Exit(1) from None
    worker, worker_log = _start_worker(process.url, data_dir)
    try:
        _fund_demo(process.url)
        shown = f"[{host}]" if ":" in host else host
        banner = [
            f"sandbox exchange at {process.url}/  (Binance, OKX and Bybit; the account 'demo' holds"
            f" {_DEMO_AMOUNT} USDT on each)",
            "",
            "What to do first:",
            f"  1. Open http://{shown}:{port}/signup and create an account; turn on two-factor authentication.",
            f"  2. Create an API key on the demo exchange: {process.url}/binance/  (tick read + spot,",
            "     IP restriction 127.0.0.1; OKX at /okx/ also asks for a passphrase).",
            "  3. In the cabinet, Add API key: paste the key and secret; you see CONNECTED and the balance.",
            "  4. Bots -> New bot on that binding, start it: it trades on the demo exchange.",
            f"bots worker running (pid {worker.pid}, log {worker_log}).",
            f"Data directory: {data_dir}. Stop with Ctrl+C.",
        ]
        _run(host, port, process.url, None, banner)
    finally:
        _stop(worker)
        process.stop()


def _start_worker(sandbox_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """``tradebind worker`` against the demo's sandbox, as its own process (what a deployment runs)."""
    script = Path(sys.executable).with_name("tradebind")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tradebind.cli"]
    log_path = data_dir / "worker.log"
    with log_path.open("ab") as log:
        # Our own entry point and arguments, no shell; the child inherits TRADEBIND_DATA_DIR.
        worker = subprocess.Popen(  # noqa: S603
            [*command, "worker", "--sandbox-url", sandbox_url], stdout=log, stderr=subprocess.STDOUT
        )
    return worker, log_path


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the worker finishes its tick), then SIGKILL if it does not stop in time."""
    child.terminate()
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
