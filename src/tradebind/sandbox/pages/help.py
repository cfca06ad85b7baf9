"""One-line help for each permission checkbox, by what the permission grants. Pure data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..core import Permission

# What a checkbox is about, judged by the most consequential thing it grants (first match wins):
# OKX's "trade" also grants funding transfers, yet tradebind accepts it, so trading outranks transfer.
_RULES: tuple[tuple[frozenset[Permission], str, bool], ...] = (
    (
        frozenset({Permission.WITHDRAW}),
        "Never tick Withdrawals: no bot needs them, and tradebind refuses such keys.",
        True,
    ),
    (
        frozenset({Permission.SPOT_TRADE, Permission.FUTURES_TRADE}),
        "Tick for any trading bot: places and cancels spot and futures orders.",
        False,
    ),
    (frozenset({Permission.FUTURES_TRADE}), "Tick Enable Futures for futures bots.", False),
    (frozenset({Permission.SPOT_TRADE}), "Tick for spot bots: places and cancels spot orders.", False),
    (
        frozenset({Permission.TRANSFER}),
        "Moves funds between your own wallets; leave it off, tradebind refuses such keys.",
        True,
    ),
    (
        frozenset({Permission.INTERNAL_TRANSFER}),
        "Moves funds between master and sub-accounts; leave it off, tradebind refuses such keys.",
        True,
    ),
    (frozenset({Permission.READ}), "Lets tradebind see balances and orders; every bot needs it.", False),
)


@dataclass(frozen=True, slots=True)
class PermissionChoice:
    """One checkbox: the exchange's own name, its help line, and whether it is risky or default."""

    name: str
    label: str
    help: str
    dangerous: bool
    checked: bool


def describe(grants: frozenset[Permission]) -> tuple[str, bool]:
    """The help line of a permission and whether a bot's key must not have it."""
    for needs, help_text, dangerous in _RULES:
        if needs <= grants:
            return help_text, dangerous
    return "Not used by bots.", False


def permission_choices(names: Mapping[str, frozenset[Permission]]) -> list[PermissionChoice]:
    """Checkboxes in the protocol's order; only plain read access is ticked by default."""
    choices = []
    for name, grants in names.items():
        help_text, dangerous = describe(grants)
        choices.append(
            PermissionChoice(
                name=name,
                label=name.replace("_", " ").title(),
                help=help_text,
                dangerous=dangerous,
                checked=grants == {Permission.READ},
            )
        )
    return choices
