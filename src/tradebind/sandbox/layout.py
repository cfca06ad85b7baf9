"""Where the sandbox serves each exchange's non-live environment: shared by the server and clients.

Kept free of server imports so the exchange adapters (clients of the sandbox) can read it without
pulling in aiohttp handlers.
"""

from __future__ import annotations

# Binance's testnet and Bybit's demo trading are separate hosts on the real exchanges; the sandbox
# serves them under these prefixes on the same venue. OKX's demo is the live host plus a header.
DEMO_PATHS: dict[str, str] = {"binance": "binance-testnet", "bybit": "bybit-demo"}
