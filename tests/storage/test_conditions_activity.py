"""Conditions (armed -> fired/cancelled), position snapshots, equity, alerts and decisions."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from grace_desktop.domain.enums import Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Position
from grace_desktop.storage import AlertRecord, ConditionRecord, NotFoundError, Storage, open_storage


def _entry(account: str = "paper", market: str = "SOL-PERP") -> ConditionRecord:
    params = {"side": "long", "size": 2.0, "leverage": 3.0, "price_below": 95.5, "price_above": None}
    return ConditionRecord(account, market, "entry", params)


def test_condition_lifecycle(data_dir: Path) -> None:
    with open_storage(data_dir) as store:
        entry_id = store.conditions.add(_entry())
        stop_id = store.conditions.add(ConditionRecord("paper", "SOL-PERP", "stop_loss", {"percent": 3.0}))
        other_id = store.conditions.add(ConditionRecord("other", "BTC-PERP", "trailing_stop", {"percent": 1.0}))
        assert [c.id for c in store.conditions.armed()] == [entry_id, stop_id, other_id]
        assert [c.id for c in store.conditions.armed(account="paper", market="SOL-PERP")] == [entry_id, stop_id]
        store.conditions.set_status(entry_id, "fired", fired_price=95.4, reason="dip", ts=123.0)
        store.conditions.set_status(stop_id, "cancelled", reason="position closed")
    with open_storage(data_dir) as store:
        fired = store.conditions.get(entry_id)
        assert (fired.status, fired.fired_price, fired.fired_at, fired.reason) == ("fired", 95.4, 123.0, "dip")
        assert fired.params == _entry().params and fired.kind == "entry" and fired.created_at > 0
        assert store.conditions.get(stop_id).status == "cancelled"
        assert [c.id for c in store.conditions.armed()] == [other_id]
        assert store.conditions.get(999) is None


def test_condition_transitions_are_checked(store: Storage) -> None:
    cid = store.conditions.add(_entry())
    with pytest.raises(ValueError, match="fired_price"):
        store.conditions.set_status(cid, "fired")
    with pytest.raises(ValueError, match="status"):
        store.conditions.set_status(cid, "exploded")
    with pytest.raises(NotFoundError):
        store.conditions.set_status(4242, "cancelled")
    assert store.conditions.get(cid).status == "armed"  # refused calls changed nothing


def test_first_outcome_wins(store: Storage) -> None:
    cid = store.conditions.add(_entry())
    assert store.conditions.set_status(cid, "fired", fired_price=95.0, reason="dip", ts=5.0) is True
    # e.g. the position closes afterwards and every condition of the watch gets cancelled
    assert store.conditions.set_status(cid, "cancelled", reason="position closed") is False
    assert store.conditions.set_status(cid, "fired", fired_price=80.0) is False
    record = store.conditions.get(cid)
    assert (record.status, record.fired_price, record.fired_at, record.reason) == ("fired", 95.0, 5.0, "dip")


def test_racing_fire_and_cancel_have_one_winner(data_dir: Path) -> None:
    """Two connections (e.g. the monitor and a second app window) race on the same condition."""
    first, second = open_storage(data_dir), open_storage(data_dir)
    try:
        cid = first.conditions.add(_entry())
        outcomes: list[str] = []
        barrier = threading.Barrier(2)

        def attempt(store: Storage, status: str, price: float | None) -> None:
            barrier.wait()
            outcomes.append(status if store.conditions.set_status(cid, status, fired_price=price) else "lost")

        threads = [
            threading.Thread(target=attempt, args=(first, "fired", 95.0)),
            threading.Thread(target=attempt, args=(second, "cancelled", None)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        assert len(outcomes) == 2 and outcomes.count("lost") == 1
        assert second.conditions.get(cid).status in outcomes
    finally:
        first.close()
        second.close()


def test_bad_conditions_are_refused(store: Storage) -> None:
    with pytest.raises(ValueError, match="kind"):
        ConditionRecord("paper", "SOL-PERP", "moon", {})
    with pytest.raises(ValueError, match="params"):
        store.conditions.add(ConditionRecord("paper", "SOL-PERP", "take_profit", {"price": float("nan")}))
    assert store.conditions.armed() == []


def test_position_snapshots(store: Storage) -> None:
    long = Position("paper", "BTC-PERP", Side.LONG, 0.5, 40_000.0, leverage=5)
    short = Position("paper", "SOL-PERP", Side.SHORT, 10.0, 100.0, leverage=2)
    store.positions.snapshot("paper", [long, short], {"BTC-PERP": 41_000.0, "SOL-PERP": 90.0}, ts=10.0)
    snaps = store.positions.latest("paper")
    assert [(s.market, s.side, s.mark, s.unrealized_pnl, s.ts) for s in snaps] == [
        ("BTC-PERP", Side.LONG, 41_000.0, pytest.approx(500.0), 10.0),
        ("SOL-PERP", Side.SHORT, 90.0, pytest.approx(100.0), 10.0),
    ]
    with pytest.raises(DomainError, match="SOL-PERP"):
        store.positions.snapshot("paper", [short], {"BTC-PERP": 1.0}, ts=11.0)
    assert store.positions.latest("paper")[0].ts == 10.0  # the refused snapshot wrote nothing
    store.positions.snapshot("paper", [], {}, ts=12.0)  # flat now
    assert store.positions.latest("paper") == []
    assert store.positions.latest("nobody") == []


def test_equity_curve_is_the_newest_points_oldest_first(store: Storage) -> None:
    for i in range(10):
        store.equity.record("paper", float(i), 1_000.0 + i, 900.0)
    assert store.equity.curve("paper", limit=3) == [(7.0, 1_007.0), (8.0, 1_008.0), (9.0, 1_009.0)]
    assert len(store.equity.curve("paper")) == 10
    with pytest.raises(DomainError, match="equity"):
        store.equity.record("paper", 11.0, float("inf"), 0.0)


def test_alerts_newest_first(store: Storage) -> None:
    first = store.alerts.record(AlertRecord(1.0, "warning", "Venue slow", "latency 900 ms"))
    second = store.alerts.record(AlertRecord(2.0, "critical", "Liquidation near", "2% away", "paper", "BTC-PERP"))
    assert [a.id for a in store.alerts.recent()] == [second, first]
    assert [a.title for a in store.alerts.recent(account="paper")] == ["Liquidation near"]
    assert store.alerts.recent(limit=1)[0] == AlertRecord(2.0, "critical", "Liquidation near", "2% away", "paper", "BTC-PERP", second)
    with pytest.raises(ValueError, match="level"):
        AlertRecord(3.0, "panic", "x", "y")


def test_decisions_audit_trail(store: Storage) -> None:
    a = store.decisions.record("paper", "BTC-PERP", "take_profit", 42_000.0, "close", "tp at +5%", 5.0)
    b = store.decisions.record("paper", "SOL-PERP", "entry", 95.0, "open_long", {"size": 2.0}, 6.0)
    c = store.decisions.record("other", "SOL-PERP", "risk", None, "skip", "volatility cap", 7.0)
    recent = store.decisions.recent()
    assert [d.id for d in recent] == [c, b, a]
    assert recent[1].detail == '{"size": 2.0}' and recent[0].price is None
    assert [d.id for d in store.decisions.recent(account="paper", limit=1)] == [b]
    with pytest.raises(ValueError, match="rule"):
        store.decisions.record("paper", "BTC-PERP", "", 1.0, "close", "", 8.0)
