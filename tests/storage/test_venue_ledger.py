"""Schema v6 repositories: order purpose and unresolved orders, idempotent fills, trades and funding,
the ledger's positions, ending a position's conditions, venue-scoped trailing marks, internal accounts."""

from __future__ import annotations

import pytest

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.domain.models import Fill, Order, OrderRequest
from grace_desktop.storage import ConditionRecord, LedgerPosition, Storage, TradeRecord
from grace_desktop.storage.trailing import TrailingMark


def _intent(client_id: str) -> Order:
    return Order(OrderRequest("a", "SOL-PERP", "sell", 1.0, client_id=client_id, reduce_only=True), OrderStatus.INTENT)


def _fill(fill_id: str, ts: float, size: float = 1.0, price: float = 100.0) -> Fill:
    return Fill("c-1", "SOL-PERP", "buy", size, price, 0.04, ts, fill_id=fill_id)


def _trade(pnl: float, fees: float, *, venue: str = "paper", account: str = "a", fill_id: str = "") -> TradeRecord:
    return TradeRecord(account, "SOL-PERP", Side.LONG, 1.0, 100.0, 100.0 + pnl, pnl, fees, 1.0, 2.0, venue=venue,
                       fill_id=fill_id)


def test_intent_keeps_its_purpose_and_unresolved_lists_live_orders(store: Storage) -> None:
    statuses = [
        OrderStatus.INTENT, OrderStatus.SUBMITTED, OrderStatus.FILLED, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED,
        OrderStatus.CANCELLED, OrderStatus.UNKNOWN, OrderStatus.EXPIRED, OrderStatus.REJECTED, OrderStatus.FAILED,
    ]  # fmt: skip
    for i, status in enumerate(statuses):
        store.orders.record_intent(_intent(f"o{i}"), "paper", purpose="stop_loss" if i == 0 else "")
        if status is not OrderStatus.INTENT:
            store.orders.update(f"o{i}", status=status, filled_size=0.5 if i == 4 else None)
    store.orders.record_intent(_intent("plain"), "paper")  # the old call, without a purpose
    assert store.orders.get("o0").purpose == "stop_loss" and store.orders.get("plain").purpose == ""
    # Every lifecycle status is stored and read back as itself.
    assert [store.orders.get(f"o{i}").order.status for i in range(len(statuses))] == statuses
    assert [r.order.client_id for r in store.orders.unresolved()] == ["o0", "o1", "o3", "o4", "o6", "plain"]
    assert [r.order.client_id for r in store.orders.pending_intents()] == ["o0", "plain"]
    assert store.orders.get("o4").order.filled_size == 0.5


def test_fills_are_journaled_once_per_venue_fill_id(store: Storage) -> None:
    assert store.fills.record(_fill("f-1", 10.0), "a", "paper") is True
    assert store.fills.record(_fill("f-1", 10.0, size=9.0), "a", "paper") is False  # replayed: nothing written
    assert store.fills.record(_fill("f-1", 11.0), "a", "mango") is True  # another venue's f-1 is another fill
    assert store.fills.record(_fill("", 12.0), "a", "paper") is True
    assert store.fills.record(_fill("", 12.0), "a", "paper") is True  # no id: never deduplicated
    assert store.fills.record(_fill("f-2", 13.0, price=101.0), "a", "paper") is True
    assert store.fills.record(_fill("f-3", 9.0), "b", "paper") is True
    paper_a = store.fills.since("paper", "a")
    assert [(f.fill_id, f.ts, f.size) for f in paper_a] == [("f-1", 10.0, 1.0), ("", 12.0, 1.0), ("", 12.0, 1.0),
                                                            ("f-2", 13.0, 1.0)]
    assert [f.fill_id for f in store.fills.since("paper", "a", 12.0)] == ["", "", "f-2"]  # since is inclusive
    assert store.fills.since("paper", "nobody") == []
    assert store.fills.last_ts("paper", "a") == 13.0 and store.fills.last_ts("mango", "a") == 11.0
    assert store.fills.last_ts("paper", "nobody") is None
    assert sorted(f.fill_id for f in store.fills.for_order("c-1")) == ["", "", "f-1", "f-1", "f-2", "f-3"]


def test_one_trade_per_closing_fill_and_net_is_pnl_minus_fees(store: Storage) -> None:
    first = store.trades.record(_trade(10.0, 1.0, fill_id="f-9"))
    again = store.trades.record(_trade(99.0, 9.0, fill_id="f-9"))  # the same fill replayed after a restart
    assert again == first and store.trades.totals().count == 1
    assert store.trades.page()[0].realized_pnl == 10.0 and store.trades.page()[0].fill_id == "f-9"
    store.trades.record(_trade(-4.0, 0.5, fill_id="f-10"))
    store.trades.record(_trade(-4.0, 0.5))  # no fill id: always a new trade
    store.trades.record_many([_trade(7.0, 0.25, fill_id="f-10"), _trade(2.0, 0.25, fill_id="f-11")])  # f-10 skipped
    store.trades.record(_trade(100.0, 1.0, venue="mango", fill_id="f-9"))  # another venue
    store.trades.record(_trade(50.0, 1.0, account="b"))
    # paper/a: (10 - 1) + (-4 - 0.5) + (-4 - 0.5) + (2 - 0.25) = 1.75
    assert store.trades.net("paper", "a") == pytest.approx(1.75)
    assert store.trades.net("mango", "a") == 99.0 and store.trades.net("paper", "b") == 49.0
    assert store.trades.net("paper", "nobody") == 0.0
    assert store.trades.totals(account="a").count == 5


def test_funding_is_idempotent_and_totalled(store: Storage) -> None:
    assert store.funding.record("paper", "a", "SOL-PERP", -1.25, 0.012, 100.0, "fund-1") is True
    assert store.funding.record("paper", "a", "SOL-PERP", -1.25, 0.012, 100.0, "fund-1") is False
    assert store.funding.record("paper", "a", "BTC-PERP", 0.5, -0.004, 100.0, "fund-2") is True
    assert store.funding.record("mango", "a", "SOL-PERP", 2.0, None, 100.0, "fund-1") is True
    assert store.funding.record("paper", "b", "SOL-PERP", -3.0, 0.01, 100.0, "fund-3") is True
    assert store.funding.total(venue="paper", account="a") == pytest.approx(-0.75)
    assert store.funding.total(account="a") == pytest.approx(1.25)
    assert store.funding.total(venue="paper") == pytest.approx(-3.75)
    assert store.funding.total() == pytest.approx(-1.75)
    with pytest.raises(ValueError, match="funding_id"):
        store.funding.record("paper", "a", "SOL-PERP", 1.0, 0.0, 1.0, "")
    with pytest.raises(ValueError, match="amount"):
        store.funding.record("paper", "a", "SOL-PERP", float("nan"), 0.0, 1.0, "fund-9")
    assert store.funding.total() == pytest.approx(-1.75)


def test_ledger_positions_put_get_all_delete(store: Storage) -> None:
    long_sol = LedgerPosition("paper", "a", "SOL-PERP", "long", 2.0, 100.0, 5.0, 0.08, 10.0, 10.0)
    store.ledger.put(long_sol)
    assert store.ledger.get("paper", "a", "SOL-PERP") == long_sol and long_sol.side is Side.LONG
    added = LedgerPosition("paper", "a", "SOL-PERP", Side.LONG, 3.0, 102.0, 5.0, 0.12, 10.0, 20.0)
    store.ledger.put(added)  # the same key: replaced
    store.ledger.put(LedgerPosition("mango", "a", "SOL-PERP", Side.SHORT, 1.0, 101.0, 2.0, 0.0, 11.0, 11.0))
    store.ledger.put(LedgerPosition("paper", "b", "BTC-PERP", Side.SHORT, 0.1, 40_000.0, 3.0, 1.6, 12.0, 12.0))
    assert store.ledger.get("paper", "a", "SOL-PERP") == added
    assert [(p.venue, p.account) for p in store.ledger.all()] == [("mango", "a"), ("paper", "a"), ("paper", "b")]
    assert [p.account for p in store.ledger.all(venue="paper")] == ["a", "b"]
    assert [p.venue for p in store.ledger.all(account="a")] == ["mango", "paper"]
    assert store.ledger.delete("paper", "a", "SOL-PERP") is True
    assert store.ledger.delete("paper", "a", "SOL-PERP") is False
    assert store.ledger.get("paper", "a", "SOL-PERP") is None
    with pytest.raises(ValueError, match="size"):
        LedgerPosition("paper", "a", "SOL-PERP", "long", 0.0, 100.0, 5.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="venue"):
        LedgerPosition("", "a", "SOL-PERP", "long", 1.0, 100.0, 5.0, 0.0, 1.0, 1.0)


def _cond(kind: str, venue: str = "paper", market: str = "SOL-PERP") -> ConditionRecord:
    params = {"side": "long", "size": 1.0, "leverage": 2.0, "price_below": 90.0} if kind == "entry" else {"price": 95.0}
    return ConditionRecord("a", market, kind, params, venue=venue)


def test_ending_a_position_fires_one_rule_and_cancels_its_other_exits(store: Storage) -> None:
    entry = store.conditions.add(_cond("entry"))
    tp = store.conditions.add(_cond("take_profit"))
    sl = store.conditions.add(_cond("stop_loss"))
    trail = store.conditions.add(_cond("trailing_stop"))
    legacy = store.conditions.add(_cond("stop_loss", venue=""))  # stored before venues were tracked
    other_venue = store.conditions.add(_cond("stop_loss", venue="mango"))
    other_market = store.conditions.add(_cond("stop_loss", market="BTC-PERP"))
    assert store.conditions.get(tp).venue == "paper"
    assert [c.id for c in store.conditions.armed(venue="paper", account="a", market="SOL-PERP")] == [
        entry, tp, sl, trail,
    ]  # fmt: skip
    assert [c.id for c in store.conditions.armed(venue="mango")] == [other_venue]

    # Inside the caller's transaction (with the close record): a failure after it undoes it too.
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.conditions.end_for_position("paper", "a", "SOL-PERP", fired_ids=[sl], price=95.0,
                                              reason="stop_loss", ts=50.0)
            raise RuntimeError("the close record could not be written")
    assert len(store.conditions.armed()) == 7

    with store.transaction():
        trade_id = store.trades.record(_trade(-5.0, 0.1, fill_id="close-1"))
        fired, cancelled = store.conditions.end_for_position(
            "paper", "a", "SOL-PERP", fired_ids=[sl], price=95.0, reason="stop_loss", ts=50.0
        )
    assert trade_id and (fired, cancelled) == ([sl], [tp, trail, legacy])
    stop = store.conditions.get(sl)
    assert (stop.status, stop.fired_price, stop.fired_at, stop.reason) == ("fired", 95.0, 50.0, "stop_loss")
    assert [store.conditions.get(i).status for i in (tp, trail, legacy)] == ["cancelled"] * 3
    assert [c.id for c in store.conditions.armed()] == [entry, other_venue, other_market]
    # Ending it again changes nothing: the first outcome wins.
    assert store.conditions.end_for_position("paper", "a", "SOL-PERP", fired_ids=[sl, tp], price=1.0,
                                             reason="late", ts=60.0) == ([], [])
    assert store.conditions.get(sl).fired_price == 95.0
    with pytest.raises(ValueError, match="price"):
        store.conditions.end_for_position("paper", "a", "BTC-PERP", fired_ids=[other_market], price=None, reason="x")


def test_trailing_marks_are_per_venue(store: Storage) -> None:
    paper = TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 120.0, 11.0, venue="paper")
    mango = TrailingMark("a", "SOL-PERP", Side.SHORT, 12.0, 80.0, 13.0, venue="mango")
    store.trailing.put(paper)
    store.trailing.put(mango)
    store.trailing.save_many([TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 118.0, 9.0)])  # venue "" (old callers)
    assert store.trailing.get("paper", "a", "SOL-PERP") == paper
    assert store.trailing.get("mango", "a", "SOL-PERP") == mango
    assert store.trailing.get("a", "SOL-PERP").extreme == 118.0  # the two-argument form is venue ""
    store.trailing.put(TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 125.0, 14.0, venue="paper"))
    assert store.trailing.get("paper", "a", "SOL-PERP").extreme == 125.0
    store.trailing.delete("paper", "a", "SOL-PERP")
    assert store.trailing.get("paper", "a", "SOL-PERP") is None
    assert store.trailing.get("mango", "a", "SOL-PERP") == mango
    store.trailing.delete("a", "SOL-PERP")
    assert store.trailing.get("", "a", "SOL-PERP") is None


def test_internal_accounts_are_hidden_from_the_list(store: Storage) -> None:
    store.accounts.ensure("main", "paper")
    selftest = store.accounts.ensure("self-test", "paper", internal=True)
    assert selftest.internal is True
    assert [a.name for a in store.accounts.list()] == ["main"]
    assert [(a.name, a.internal) for a in store.accounts.list(include_internal=True)] == [
        ("main", False), ("self-test", True),
    ]  # fmt: skip
    # Writing its journal rows (which ensure the account without the flag) does not show it again.
    store.trades.record(_trade(1.0, 0.1, account="self-test"))
    store.accounts.ensure("self-test", "paper")
    assert [a.name for a in store.accounts.list()] == ["main"]
    assert store.accounts.get("self-test").internal is True
