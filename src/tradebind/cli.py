"""The ``tradebind`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_admin import admin_app
from .cli_check import check_command
from .cli_web import demo_command, serve_command
from .cli_worker import worker_command

app = typer.Typer(no_args_is_help=True, add_completion=False, help="tradebind: bots and exchange keys, safely.")


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8700, help="Port to listen on (0 picks a free one; the real one is printed)."),
    seed: int = typer.Option(0, help="Seed of the price walk and fault randomness."),
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="JSON file to load the exchanges from at start and save them to (mode 0600: it holds key secrets).",
            dir_okay=False,
        ),
    ] = None,
    stop_with_parent: bool = typer.Option(
        False,
        "--stop-with-parent",
        help="Also stop when standard input ends (a pipe from the process that started it).",
    ),
) -> None:
    """Run the sandbox exchange (Binance, OKX, Bybit wire protocols) until stopped."""
    from .sandbox.protocols import PROTOCOLS
    from .sandbox.server import serve_forever
    from .sandbox.state import StateError

    def ready(url: str) -> None:
        typer.echo(f"tradebind sandbox ready at {url}")
        for name in PROTOCOLS:
            typer.echo(f"  {name}: {url}/{name}  (API management: {url}/{name}/)")
        if state is not None:
            typer.echo(f"  state file: {state}")

    try:
        serve_forever(host, port, seed, ready, state, stop_on_stdin_eof=stop_with_parent)
    except StateError as exc:
        typer.echo(f"tradebind sandbox: cannot use --state {state}: {exc}", err=True)
        raise typer.Exit(2) from None


app.add_typer(admin_app)  # vault rotate|retire|status, audit verify (tradebind.cli_admin)
app.command(name="check")(check_command)  # tradebind.cli_check
app.command(name="serve")(serve_command)  # tradebind.cli_web
app.command(name="demo")(demo_command)  # tradebind.cli_web
app.command(name="worker")(worker_command)  # tradebind.cli_worker

if __name__ == "__main__":
    app()
