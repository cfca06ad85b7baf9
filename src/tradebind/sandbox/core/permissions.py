"""What an API key may do, in exchange-neutral terms.

Each protocol maps its own names (Binance's ``enableFutures``, OKX's ``trade``, Bybit's
``ContractTrade``) to and from these.
"""

from __future__ import annotations

import enum


class Permission(enum.Enum):
    READ = "read"
    SPOT_TRADE = "spot_trade"
    FUTURES_TRADE = "futures_trade"
    WITHDRAW = "withdraw"
    # moving funds between one's own wallets (Binance universal transfer, Bybit AccountTransfer)
    TRANSFER = "transfer"
    # moving funds between master and sub-accounts (Binance internal transfer, Bybit SubMemberTransfer)
    INTERNAL_TRANSFER = "internal_transfer"
