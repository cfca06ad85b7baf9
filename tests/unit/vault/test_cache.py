"""The in-process data-key cache: bounded by age and size, keyed by row id and fingerprint."""

from __future__ import annotations

import pytest

from tradebind.vault import TtlDekCache

DEK = b"k" * 32


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_hit_needs_the_same_fingerprint() -> None:
    cache = TtlDekCache()
    cache.put("row-1", b"fp-a", DEK)
    assert cache.get("row-1", b"fp-a") == DEK
    assert cache.get("row-1", b"fp-b") is None
    assert cache.get("row-2", b"fp-a") is None


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache = TtlDekCache(ttl_seconds=5, clock=clock)
    cache.put("row-1", b"fp", DEK)
    clock.now += 4.9
    assert cache.get("row-1", b"fp") == DEK
    clock.now += 0.1
    assert cache.get("row-1", b"fp") is None
    assert len(cache) == 0


def test_size_is_bounded_least_recently_used_goes_first() -> None:
    cache = TtlDekCache(max_entries=2)
    cache.put("a", b"fp", DEK)
    cache.put("b", b"fp", DEK)
    assert cache.get("a", b"fp") == DEK  # "a" is now the most recently used
    cache.put("c", b"fp", DEK)
    assert len(cache) == 2
    assert cache.get("b", b"fp") is None
    assert cache.get("a", b"fp") == DEK
    assert cache.get("c", b"fp") == DEK


def test_forget_and_clear() -> None:
    cache = TtlDekCache()
    cache.put("a", b"fp", DEK)
    cache.put("b", b"fp", DEK)
    cache.forget("a")
    cache.forget("never-there")
    assert cache.get("a", b"fp") is None
    assert cache.get("b", b"fp") == DEK
    cache.clear()
    assert len(cache) == 0


def test_repr_hides_keys() -> None:
    cache = TtlDekCache()
    cache.put("a", b"fp", DEK)
    assert repr(DEK) not in repr(cache)
    assert "size=1" in repr(cache)


@pytest.mark.parametrize(("ttl", "size"), [(0, 10), (-1, 10), (5, 0)])
def test_bounds_must_be_positive(ttl: float, size: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        TtlDekCache(ttl_seconds=ttl, max_entries=size)
