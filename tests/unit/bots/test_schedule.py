"""The in-process schedule: a bot runs under one worker's live lease at a time."""

from __future__ import annotations

from tradebind.bots.schedule import InProcessSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_leased_bot_is_not_given_to_another_worker_until_the_lease_expires() -> None:
    clock = Clock()
    schedule = InProcessSchedule(clock)
    assert await schedule.claim("w1", ["a", "b"], ttl_s=10) == {"a", "b"}
    assert await schedule.claim("w2", ["a", "b", "c"], ttl_s=10) == {"c"}
    clock.now += 9
    assert await schedule.claim("w1", ["a"], ttl_s=10) == {"a"}  # renewed until 119
    clock.now += 2  # b's lease (until 110) has expired, a's has not
    assert await schedule.claim("w2", ["a", "b"], ttl_s=10) == {"b"}


async def test_released_bots_are_free_at_once_and_others_leases_are_untouched() -> None:
    schedule = InProcessSchedule(Clock())
    await schedule.claim("w1", ["a"], ttl_s=60)
    await schedule.claim("w2", ["b"], ttl_s=60)
    await schedule.release("w1", ["a", "b"])
    assert await schedule.claim("w3", ["a", "b"], ttl_s=60) == {"a"}
