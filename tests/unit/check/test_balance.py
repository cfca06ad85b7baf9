from decimal import Decimal as D

from tradebind.domain.balance import Figures, balance_findings, build_breakdown
from tradebind.domain.verdicts import CheckWarning


def test_assets_are_valued_in_the_quote_and_summed():
    b = build_breakdown(
        "Spot",
        "USDT",
        {"BTC": Figures(wallet_balance=D("0.5"), order_reserved=D("0.1"), available=D("0.4")),
         "USDT": Figures(wallet_balance=D("1000"), available=D("1000"))},
        {},
        {"BTC": D("60000")},
        D("10"),
    )  # fmt: skip
    assert [line.asset for line in b.assets] == ["USDT", "BTC"]
    assert b.total.wallet_balance == D("31000")
    assert b.total.order_reserved == D("6000")
    assert b.total.available == D("25000")
    assert b.explanation == "25,000.00 USDT of the 31,000.00 USDT in the Spot account is available."
    assert balance_findings(b, D("10"), "Funding → Spot") == []


def test_unpriced_assets_are_listed_but_not_summed():
    b = build_breakdown("Spot", "USDT", {"XYZ": Figures(D("5"), available=D("5"))}, {}, {}, D("0"))
    assert b.assets[0].value is None
    assert b.total == Figures()


def test_low_available_names_margin_orders_and_loss():
    b = build_breakdown(
        "USDⓈ-M Futures",
        "USDT",
        {"USDT": Figures(D("1000"), D("-150"), D("700"), D("145"), D("5"))},
        {},
        {},
        D("10"),
    )
    assert b.explanation == (
        "Only 5.00 USDT of the 1,000.00 USDT in the USDⓈ-M Futures account is available: 700.00 USDT is held "
        "as margin by open positions, 145.00 USDT is reserved by open orders and an unrealised loss of "
        "150.00 USDT counts against it."
    )
    [finding] = balance_findings(b, D("10"), "Funding → USDⓈ-M Futures")
    assert finding.code is CheckWarning.LOW_AVAILABLE_BALANCE
    assert finding.fix.startswith(b.explanation)


def test_empty_trading_account_with_funding_names_amount_and_transfer():
    b = build_breakdown("Spot", "USDT", {}, {"USDT": D("500"), "BTC": D("0")}, {}, D("10"))
    assert b.explanation == (
        "The Spot account holds no funds (500.00 USDT sits in the Funding account), so nothing is available to trade."
    )
    assert [h.asset for h in b.funding] == ["USDT"]
    [finding] = balance_findings(b, D("10"), "Wallet → Transfer, Funding → Spot")
    assert finding.code is CheckWarning.FUNDS_IN_FUNDING_ACCOUNT
    assert "500.00 USDT" in finding.fix
    assert "Funding → Spot" in finding.fix


def test_non_quote_amounts_keep_their_precision():
    b = build_breakdown("Spot", "USDT", {}, {"BTC": D("0.01000")}, {"BTC": D("50000")}, D("10"))
    assert b.funding_value == D("500")
    [finding] = balance_findings(b, D("10"), "x")
    assert "0.01 BTC" in finding.fix


def test_empty_everywhere_is_low_available():
    b = build_breakdown("Spot", "USDT", {}, {}, {}, D("10"))
    assert b.explanation == "The Spot account holds no funds, so nothing is available to trade."
    assert [f.code for f in balance_findings(b, D("10"), "x")] == [CheckWarning.LOW_AVAILABLE_BALANCE]
