"""TriggerBook: exact fired sets against a brute-force scan, through arms, cancels, re-arms and compaction."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grace_desktop.domain.conditions import Direction
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.trigger_book import TriggerBook

BELOW, ABOVE = Direction.AT_OR_BELOW, Direction.AT_OR_ABOVE


class BruteForce:
    """The obvious O(n) model: scan every armed condition on every tick."""

    def __init__(self) -> None:
        self.armed: dict[object, tuple[str, float, Direction]] = {}

    def arm(self, key, market, price, direction):
        self.armed[key] = (market, float(price), direction)

    def cancel(self, key) -> bool:
        return self.armed.pop(key, None) is not None

    def on_tick(self, market, price) -> set:
        fired = {k for k, (m, trig, d) in self.armed.items() if m == market and d.crossed(trig, price)}
        for key in fired:
            del self.armed[key]
        return fired


def _heap_sizes(book: TriggerBook) -> int:
    # Private, but the only way to see that cancelled entries do not pile up.
    return sum(len(h.below) + len(h.above) for h in book._markets.values())


def test_basic_fire_once_and_both_directions():
    book = TriggerBook()
    book.arm("sl", "BTC", 95, BELOW)
    book.arm("tp", "BTC", 105, ABOVE)
    book.arm("eth", "ETH", 200, BELOW)
    assert len(book) == 3 and "sl" in book and book.markets() == {"BTC", "ETH"}
    assert book.peek("BTC") == (95, 105)
    assert book.on_tick("BTC", 100) == []
    assert book.on_tick("BTC", 95) == ["sl"]  # touching the level fires it
    assert book.on_tick("BTC", 90) == []  # one-shot: gone once fired
    assert "sl" not in book and book.get("sl") is None
    assert book.on_tick("BTC", 105.5) == ["tp"]
    assert book.on_tick("SOL", 1) == []  # unknown market
    assert book.get("eth") == ("ETH", 200.0, BELOW)
    assert book.markets() == {"ETH"}


def test_a_gap_fires_every_crossed_level_on_one_side():
    book = TriggerBook()
    for i, level in enumerate([99, 98, 97, 90, 80]):
        book.arm(("b", i), "BTC", level, BELOW)
    book.arm("up", "BTC", 101, ABOVE)
    assert set(book.on_tick("BTC", 96.5)) == {("b", 0), ("b", 1), ("b", 2)}
    assert book.peek("BTC") == (90, 101)


def test_rearm_replaces_price_market_and_direction():
    book = TriggerBook()
    book.arm("k", "BTC", 95, BELOW)
    book.arm("k", "BTC", 90, BELOW)
    assert len(book) == 1
    assert book.on_tick("BTC", 94) == []  # the old 95 level no longer fires
    book.arm("k", "ETH", 300, ABOVE)
    assert book.on_tick("BTC", 80) == []
    assert book.on_tick("ETH", 300) == ["k"]


def test_cancel():
    book = TriggerBook()
    book.arm("k", "BTC", 95, BELOW)
    assert book.cancel("k") is True
    assert book.cancel("k") is False and book.cancel("never") is False
    assert book.on_tick("BTC", 1) == [] and len(book) == 0
    assert book.peek("BTC") == (None, None) and book.peek("NONE") == (None, None)


def test_arm_refuses_a_non_finite_price():
    with pytest.raises(DomainError) as err:
        TriggerBook().arm("k", "BTC", float("nan"), BELOW)
    assert err.value.field == "trigger_price"


# Small grids of markets, keys and integer prices so ticks land exactly on levels and keys collide.
_markets = st.sampled_from(["BTC", "ETH", "SOL"])
_prices = st.integers(min_value=90, max_value=110).map(float)
_ops = st.one_of(
    st.tuples(st.just("arm"), st.integers(0, 30), _markets, _prices, st.sampled_from([BELOW, ABOVE])),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("tick"), _markets, _prices),
)


def _replay(ops) -> None:
    book, model = TriggerBook(), BruteForce()
    for op in ops:
        if op[0] == "arm":
            _, key, market, price, direction = op
            book.arm(key, market, price, direction)
            model.arm(key, market, price, direction)
        elif op[0] == "cancel":
            assert book.cancel(op[1]) == model.cancel(op[1])
        else:
            _, market, price = op
            fired = book.on_tick(market, price)
            assert len(fired) == len(set(fired)), "a trigger fired twice in one tick"
            assert set(fired) == model.on_tick(market, price)
        assert len(book) == len(model.armed)
        assert {k: book.get(k) for k in book.keys()} == model.armed


@settings(max_examples=300, deadline=None)
@given(st.lists(_ops, max_size=120))
def test_matches_brute_force_with_interleaved_cancels_and_rearms(ops):
    _replay(ops)


@settings(max_examples=100, deadline=None)
@given(
    book_spec=st.lists(
        st.tuples(_markets, st.floats(50, 150, allow_nan=False), st.sampled_from([BELOW, ABOVE])), max_size=200
    ),
    path=st.lists(st.tuples(_markets, st.floats(40, 160, allow_nan=False)), max_size=60),
)
def test_matches_brute_force_for_random_books_and_paths(book_spec, path):
    ops = [("arm", i, m, p, d) for i, (m, p, d) in enumerate(book_spec)]
    ops += [("tick", m, p) for m, p in path]
    _replay(ops)


def test_stays_correct_and_compact_after_many_cancels():
    rng = random.Random(11)
    book, model = TriggerBook(), BruteForce()
    markets = [f"M{i}" for i in range(5)]
    for key in range(20_000):
        args = (rng.choice(markets), round(rng.uniform(50, 150), 2), rng.choice([BELOW, ABOVE]))
        book.arm(key, *args)
        model.arm(key, *args)
    keys = list(range(20_000))
    rng.shuffle(keys)
    for key in keys[:19_500]:
        assert book.cancel(key) and model.cancel(key)
    # Memory follows what is armed, not what was ever armed.
    assert _heap_sizes(book) <= 2 * len(book) + 64 * 2 * len(markets)
    # Churn: re-arm the survivors many times each.
    for _ in range(20):
        for key in keys[19_500:]:
            args = (rng.choice(markets), round(rng.uniform(50, 150), 2), rng.choice([BELOW, ABOVE]))
            book.arm(key, *args)
            model.arm(key, *args)
    assert _heap_sizes(book) <= 2 * len(book) + 64 * 2 * len(markets)
    price = {m: 100.0 for m in markets}
    for _ in range(2_000):
        market = rng.choice(markets)
        price[market] = min(160.0, max(40.0, price[market] + rng.uniform(-3, 3)))
        assert set(book.on_tick(market, price[market])) == model.on_tick(market, price[market])
    assert {k: book.get(k) for k in book.keys()} == model.armed
