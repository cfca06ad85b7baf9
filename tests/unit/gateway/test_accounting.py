"""Each exchange's rate accounting: costs of operations and what reply headers say."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tradebind.domain.market import Market
from tradebind.gateway.accounting import AccountingContext, Op, binance_limits, charges, observations
from tradebind.gateway.budgets import Charge, Observation


def ctx(exchange: str, market: Market = Market.SPOT) -> AccountingContext:
    return AccountingContext(exchange, market, "cred-1", "10.0.0.1")


def test_binance_spot_order_moves_ip_weight_and_the_accounts_order_counters() -> None:
    assert charges(ctx("binance"), Op.PLACE, "BTC/USDT") == [
        Charge("ip:10.0.0.1:binance:api:weight-1m", 1, 6000, 60_000),
        Charge("acct:cred-1:binance:api:orders-10s", 1, 50, 10_000),
        Charge("acct:cred-1:binance:api:orders-1d", 1, 160_000, 86_400_000),
    ]


def test_binance_futures_order_costs_no_ip_weight() -> None:
    keys = [c.key for c in charges(ctx("binance", Market.FUTURES), Op.PLACE, "BTC/USDT:USDT")]
    assert keys == ["acct:cred-1:binance:fapi:orders-10s", "acct:cred-1:binance:fapi:orders-1m"]


def test_binance_open_orders_without_a_symbol_weigh_more() -> None:
    assert charges(ctx("binance"), Op.OPEN_ORDERS, "BTC/USDT")[0].cost == 6
    assert charges(ctx("binance"), Op.OPEN_ORDERS, None)[0].cost == 80


def test_binance_limits_come_from_exchange_info() -> None:
    info = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 120},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 7},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 900},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]
    limits = binance_limits(info)
    assert dict(limits.values) == {"weight-1m": 120, "orders-10s": 7, "orders-1d": 900}
    context = AccountingContext("binance", Market.SPOT, "cred-1", "ip", limits)
    assert [c.limit for c in charges(context, Op.PLACE, "BTC/USDT")] == [120, 7, 900]


def test_binance_usage_headers_correct_the_counters() -> None:
    headers = {"X-MBX-USED-WEIGHT-1M": "57", "X-MBX-ORDER-COUNT-10S": "3", "X-MBX-ORDER-COUNT-1D": "40"}
    assert observations(ctx("binance"), Op.PLACE, headers) == [
        Observation("ip:10.0.0.1:binance:api:weight-1m", 57, 60_000),
        Observation("acct:cred-1:binance:api:orders-10s", 3, 10_000),
        Observation("acct:cred-1:binance:api:orders-1d", 40, 86_400_000),
    ]


@pytest.mark.parametrize("case", [str, str.lower, str.title], ids=["as documented", "lower case", "another case"])
def test_usage_headers_are_read_in_any_case(case: Callable[[str], str]) -> None:
    headers = {case("X-MBX-USED-WEIGHT-1M"): "57", case("X-MBX-ORDER-COUNT-10S"): "3", case("Date"): "now"}
    assert observations(ctx("binance"), Op.PLACE, headers) == [
        Observation("ip:10.0.0.1:binance:api:weight-1m", 57, 60_000),
        Observation("acct:cred-1:binance:api:orders-10s", 3, 10_000),
    ]
    bybit = {case("X-Bapi-Limit"): "20", case("X-Bapi-Limit-Status"): "15"}
    assert observations(ctx("bybit"), Op.QUERY, bybit) == [
        Observation("acct:cred-1:bybit:/v5/order/realtime", 5, 1000, 20)
    ]


def test_binance_order_counts_are_read_from_order_replies_only() -> None:
    # Successful order responses carry them (exchanges.md §1.5); a look-up's reply says nothing of orders.
    headers = {"X-MBX-USED-WEIGHT-1M": "57", "X-MBX-ORDER-COUNT-10S": "3"}
    assert observations(ctx("binance"), Op.QUERY, headers) == [
        Observation("ip:10.0.0.1:binance:api:weight-1m", 57, 60_000)
    ]


def test_bybit_counts_per_uid_endpoint_and_category_and_reads_its_headers() -> None:
    assert charges(ctx("bybit", Market.FUTURES), Op.PLACE, "BTC/USDT:USDT") == [
        Charge("ip:10.0.0.1:bybit", 1, 600, 5000),
        Charge("acct:cred-1:bybit:/v5/order/create:linear", 1, 10, 1000),
    ]
    seen = observations(ctx("bybit"), Op.PLACE, {"X-Bapi-Limit": "20", "X-Bapi-Limit-Status": "15"})
    assert seen == [Observation("acct:cred-1:bybit:/v5/order/create:spot", 5, 1000, 20)]


def test_okx_counts_trade_endpoints_per_instrument() -> None:
    assert charges(ctx("okx"), Op.PLACE, "BTC/USDT") == [
        Charge("acct:cred-1:okx:trade/order:post:BTC/USDT", 1, 60, 2000)
    ]
    assert charges(ctx("okx"), Op.BALANCE) == [Charge("acct:cred-1:okx:account/balance", 1, 10, 2000)]
    assert observations(ctx("okx"), Op.PLACE, {"anything": "1"}) == []


def test_setting_leverage_is_charged_where_each_exchange_counts_it() -> None:
    futures = Market.FUTURES
    # Binance: POST /fapi/v1/leverage weighs 1 of the /fapi minute, and is no order.
    assert charges(ctx("binance", futures), Op.LEVERAGE, "BTC/USDT:USDT") == [
        Charge("ip:10.0.0.1:binance:fapi:weight-1m", 1, 2400, 60_000)
    ]
    # Bybit: /v5/position/set-leverage, 10 per second per UID, plus the IP's 600 per 5 s.
    assert charges(ctx("bybit", futures), Op.LEVERAGE, "BTC/USDT:USDT") == [
        Charge("ip:10.0.0.1:bybit", 1, 600, 5000),
        Charge("acct:cred-1:bybit:/v5/position/set-leverage", 1, 10, 1000),
    ]
    # OKX: account/set-leverage, 20 per 2 s per user (not per instrument).
    assert charges(ctx("okx", futures), Op.LEVERAGE, "BTC/USDT:USDT") == [
        Charge("acct:cred-1:okx:account/set-leverage", 1, 20, 2000)
    ]
