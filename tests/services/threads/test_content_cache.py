"""The content cache: history-id validation, byte bound, TTL, and forgetting a mailbox."""

from __future__ import annotations

from gpanel.services.panel.content_cache import ContentCache, estimate_size


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_value_is_served_only_at_the_same_history_id() -> None:
    """An entry read at history 10 is served when Gmail still says 10, and dropped at 11."""
    cache = ContentCache(1_000_000, 60)
    cache.put((1, "thread", "t1"), {"id": "t1"}, "10")
    assert cache.get((1, "thread", "t1"), "10") == {"id": "t1"}
    assert cache.get((1, "thread", "t1"), "11") is None
    assert cache.peek((1, "thread", "t1")) is None  # the stale entry is gone, not kept


def test_memory_stays_under_the_byte_bound_whatever_is_put() -> None:
    """Putting far more than the bound evicts old entries; an oversized value is not kept."""
    cache = ContentCache(50_000, 60)
    for n in range(500):
        cache.put((1, "thread", str(n)), {"body": "x" * 1000}, "5")
        assert cache.bytes_used <= 50_000
    assert 0 < len(cache) < 500
    cache.put((1, "thread", "huge"), "y" * 100_000, "5")
    assert cache.peek((1, "thread", "huge")) is None


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = ContentCache(1_000_000, 30, timer=clock)
    cache.put((2, "labels"), ["INBOX"], "7")
    clock.now = 29
    assert cache.get((2, "labels"), "7") == ["INBOX"]
    clock.now = 31
    assert cache.get((2, "labels"), "7") is None


def test_forget_mailbox_drops_only_that_mailbox_and_size_zero_keeps_nothing() -> None:
    cache = ContentCache(1_000_000, 60)
    cache.put((1, "thread", "a"), "a", "1")
    cache.put((2, "thread", "b"), "b", "1")
    cache.forget_mailbox(1)
    assert cache.peek((1, "thread", "a")) is None and cache.get((2, "thread", "b"), "1") == "b"
    off = ContentCache(0, 60)
    off.put((1, "x"), "v", "1")
    assert len(off) == 0


def test_forgetting_a_mailbox_forgets_every_entry_holding_its_mail() -> None:
    """A kept panel view spans mailboxes (`mailboxes=`): disconnecting any one of them drops
    it, and leaves views that hold none of its mail."""
    cache = ContentCache(1_000_000, 60)
    cache.put(("panel-view", "alice"), "rows of 1 and 2", "stamp:1", mailboxes=frozenset({1, 2}))
    cache.put(("panel-view", "ben"), "rows of 3", "stamp:1", mailboxes=frozenset({3}))
    cache.forget_mailbox(2)
    assert cache.peek(("panel-view", "alice")) is None
    assert cache.get(("panel-view", "ben"), "stamp:1") == "rows of 3"


def test_size_estimate_grows_with_content() -> None:
    small = estimate_size({"payload": {"body": {"data": "a" * 10}}})
    large = estimate_size({"payload": {"body": {"data": "a" * 10_000}}})
    assert large - small >= 10_000
