"""Guards and the mapping of ccxt orders and failures. Pure."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from tradebind.domain.verdicts import Verdict
from tradebind.exchanges.errors import Failure
from tradebind.gateway.api import GuardRefused, OrderIntent, OrderKind, OrderSide, OrderState
from tradebind.gateway.guards import check_intent
from tradebind.gateway.trading import contract_size, is_duplicate, is_unknown_outcome, order_result
from tradebind.store.binding_controls import BindingGuards

BUY = OrderIntent("b", "d", "base", "BTC/USDT", OrderSide.BUY, OrderKind.LIMIT, Decimal("0.5"), Decimal("100"))


def test_guards_refuse_other_symbols_and_bigger_orders() -> None:
    check_intent(BUY, BindingGuards(), None)
    check_intent(BUY, BindingGuards(("BTC/USDT",), Decimal("50")), Decimal("100"))
    with pytest.raises(GuardRefused, match="allowed_symbols: BTC/USDT is not one of this binding's symbols"):
        check_intent(BUY, BindingGuards(("ETH/USDT",)), Decimal("100"))
    with pytest.raises(GuardRefused, match=r"max_order_value: the order is worth 50\.1, above"):
        check_intent(BUY, BindingGuards((), Decimal("50")), Decimal("100.2"))


def test_reduce_only_exits_are_not_held_back_by_the_value_limit() -> None:
    exit_order = OrderIntent(
        "b", "d", "tp", "BTC/USDT:USDT", OrderSide.SELL, OrderKind.MARKET, Decimal("9"), reduce_only=True
    )
    check_intent(exit_order, BindingGuards((), Decimal("1")), None)


def test_ccxt_orders_become_results_in_base_units_with_quote_fees() -> None:
    order = {
        "id": "77", "clientOrderId": "tbabc", "symbol": "BTC/USDT:USDT", "side": "buy", "type": "market",
        "status": "closed", "amount": 2, "filled": 2, "average": 60000, "price": None,
        "fee": {"cost": "0.5", "currency": "USDT"},
    }  # fmt: skip
    result = order_result(order, size=Decimal("0.01"))
    assert (result.amount, result.filled, result.state, result.kind) == (
        Decimal("0.02"), Decimal("0.02"), OrderState.FILLED, OrderKind.MARKET,
    )  # fmt: skip
    assert result.fee_quote == Decimal("0.5")
    spot = {**order, "symbol": "BTC/USDT", "fee": {"cost": "0.00001", "currency": "BTC"}, "status": "canceled"}
    assert order_result(spot).fee_quote == Decimal("0.6")
    assert order_result(spot).state is OrderState.CANCELED


def test_numbers_keep_the_text_they_came_as_and_the_kept_ones_stay_right_when_many_come() -> None:
    from_float = order_result({"symbol": "BTC/USDT", "amount": 1.0, "filled": 0.1, "price": 0.3})
    from_text = order_result({"symbol": "BTC/USDT", "amount": "1", "filled": "0.10", "price": ""})
    assert (str(from_float.amount), str(from_float.filled), str(from_float.price)) == ("1.0", "0.1", "0.3")
    assert (str(from_text.amount), str(from_text.filled), from_text.price) == ("1", "0.10", None)
    # Far more distinct prices than are kept: each is still its own text.
    prices = [order_result({"symbol": "BTC/USDT", "price": 1000 + n / 8}).price for n in range(10_000)]
    assert prices == [Decimal(str(1000 + n / 8)) for n in range(10_000)]
    assert order_result({"symbol": "BTC/USDT", "price": 0.3}).price == Decimal("0.3")


def test_contract_size_comes_from_the_loaded_markets() -> None:
    markets = {"BTC/USDT:USDT": {"contract": True, "contractSize": 0.01}, "BTC/USDT": {"contract": False}}
    assert contract_size(markets, "BTC/USDT:USDT") == Decimal("0.01")
    assert contract_size(markets, "BTC/USDT") == 1
    assert contract_size(None, "BTC/USDT:USDT") == 1


@pytest.mark.parametrize(
    ("exc", "code", "unknown"),
    [
        (ccxt.RequestTimeout("timeout"), None, True),
        (ccxt.ExchangeNotAvailable("503"), None, True),
        (ccxt.NetworkError("connection reset"), None, True),
        (ccxt.ExchangeError("okx 51149"), "51149", True),
        (ccxt.RequestTimeout("binance -1007"), "-1007", True),
        (ccxt.OnMaintenance("maintenance"), "1", False),
        (ccxt.RateLimitExceeded("429"), "-1003", False),
        (ccxt.InsufficientFunds("funds"), "-2010", False),
    ],
)
def test_unknown_outcomes_are_told_from_definite_refusals(exc: Exception, code: str | None, unknown: bool) -> None:
    assert is_unknown_outcome(exc, Failure(Verdict.EXCHANGE_UNAVAILABLE, code, "")) is unknown


def test_duplicate_client_ids_by_exchange_code() -> None:
    assert is_duplicate(Failure(None, "-2010", "Duplicate order sent."))
    assert not is_duplicate(Failure(None, "-2010", "Account has insufficient balance for requested action."))
    assert is_duplicate(Failure(None, "51016", "Client order ID already exists."))
    assert is_duplicate(Failure(None, "110072", "OrderLinkedID is duplicate"))
