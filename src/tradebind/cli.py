"""The ``tradebind`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="tradebind: bots and exchange keys, safely.")


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8700, help="Port to listen on (0 picks a free one)."),
    seed: int = typer.Option(0, help="Seed of the price walk and fault randomness."),
) -> None:
    """Run the sandbox exchange (Binance, OKX, Bybit wire protocols) until stopped."""
    from .sandbox.protocols import PROTOCOLS
    from .sandbox.server import serve_forever

    def ready(url: str) -> None:
        typer.echo(f"tradebind sandbox ready at {url}")
        for name in PROTOCOLS:
            typer.echo(f"  {name}: {url}/{name}")

    serve_forever(host, port, seed, ready)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8700, help="Port of the sandbox exchange."),
) -> None:
    """Run the demo on embedded defaults (for now: the sandbox exchange)."""
    sandbox(host=host, port=port, seed=0)


if __name__ == "__main__":
    app()
