"""The seeded price walk: the same seed gives the same prices; pinned pairs stay put."""

from __future__ import annotations

from decimal import Decimal

from tradebind.sandbox.core.prices import PriceBook

from .venues import PAIR, make_venue

D = Decimal


def _walk(seed: int, steps: int = 50) -> list[Decimal]:
    book = PriceBook(
        {"BTC/USDT": D("50000"), "ETH/USDT": D("3000")}, {"BTC/USDT": D("0.1"), "ETH/USDT": D("0.01")}, seed
    )
    path = []
    for _ in range(steps):
        book.step()
        path.append(book.get("BTC/USDT"))
    return path


def test_same_seed_same_walk() -> None:
    assert _walk(3) == _walk(3)


def test_other_seed_other_walk() -> None:
    assert _walk(3) != _walk(4)


def test_walk_moves_on_the_tick_grid_and_stays_positive() -> None:
    path = _walk(5, steps=200)
    assert len(set(path)) > 10
    assert all(p > 0 and (p / D("0.1")) % 1 == 0 for p in path)


def test_a_pinned_pair_does_not_walk() -> None:
    venue = make_venue(seed=9)
    venue.set_price(PAIR, D("42000.004"))
    assert venue.prices.get(PAIR) == D("42000.00")  # quantised to the finest tick of the pair (0.01)
    for _ in range(20):
        venue.tick()
    assert venue.prices.get(PAIR) == D("42000.00")


def test_venues_with_the_same_seed_tick_alike() -> None:
    a, b = make_venue(seed=1), make_venue(seed=1)
    for _ in range(30):
        a.tick()
        b.tick()
    assert a.prices.get(PAIR) == b.prices.get(PAIR) != D("50000")
