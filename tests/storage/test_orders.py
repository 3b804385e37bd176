"""Order intents, updates, reconciliation list, paging, and fills."""

from __future__ import annotations

from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.models import Fill, Order, OrderRequest
from grace_desktop.storage import NotFoundError, Storage, open_storage


def _intent(client_id: str, account: str = "paper", market: str = "BTC-PERP", **kw: object) -> Order:
    request = OrderRequest(account, market, kw.pop("side", "buy"), 0.5, client_id=client_id, **kw)  # type: ignore[arg-type]
    return Order(request, OrderStatus.INTENT)


def test_intent_then_completion(store: Storage) -> None:
    order = _intent("c-1", order_type="limit", price=42_000.0, leverage=3.0, reduce_only=True, side="sell")
    store.orders.record_intent(order, "paper")
    record = store.orders.get("c-1")
    assert record.venue == "paper" and record.order.status is OrderStatus.INTENT
    assert record.order.request == order.request and record.order.created_at > 0
    assert record.order.request.order_type is OrderType.LIMIT and record.order.request.side is OrderSide.SELL
    assert [r.order.client_id for r in store.orders.pending_intents()] == ["c-1"]

    store.orders.update("c-1", status=OrderStatus.OPEN, venue_order_id="v-9")
    store.orders.update("c-1", status=OrderStatus.FILLED, filled_size=0.5, avg_fill_price=41_990.0, reason="crossed")
    done = store.orders.get("c-1").order
    assert (done.status, done.venue_order_id, done.filled_size, done.avg_fill_price, done.reason) == (
        OrderStatus.FILLED, "v-9", 0.5, 41_990.0, "crossed",
    )  # fmt: skip
    assert done.updated_at >= done.created_at
    assert store.orders.pending_intents() == []


def test_intent_survives_a_crash_before_completion(data_dir: Path) -> None:
    store = open_storage(data_dir)
    store.orders.record_intent(_intent("sent-then-crashed"), "paper")
    store.conn.close()  # no clean shutdown: the process died after sending
    with open_storage(data_dir) as reopened:
        assert [r.order.client_id for r in reopened.orders.pending_intents()] == ["sent-then-crashed"]


def test_duplicate_client_id_is_refused(store: Storage) -> None:
    store.orders.record_intent(_intent("dup"), "paper")
    with pytest.raises(ValueError, match="client_id.*'dup'.*already"):
        store.orders.record_intent(_intent("dup", market="ETH-PERP"), "paper")
    assert store.orders.get("dup").order.request.market == "BTC-PERP"
    assert len(store.orders.page()) == 1


def test_order_without_client_id_or_unknown_update_is_refused(store: Storage) -> None:
    with pytest.raises(ValueError, match="client_id"):
        store.orders.record_intent(Order(OrderRequest("paper", "BTC-PERP", "buy", 1.0), OrderStatus.INTENT), "paper")
    with pytest.raises(NotFoundError, match="nope"):
        store.orders.update("nope", status=OrderStatus.FAILED)
    store.orders.record_intent(_intent("x"), "paper")
    with pytest.raises(ValueError, match="filled_size"):
        store.orders.update("x", status=OrderStatus.FILLED, filled_size=-1.0)
    with pytest.raises(ValueError):
        store.orders.update("x", status="teleported")  # type: ignore[arg-type]
    assert store.orders.get("x").order.status is OrderStatus.INTENT


def test_order_pages_newest_first_with_filters(store: Storage) -> None:
    for i in range(30):
        store.orders.record_intent(_intent(f"o{i}", account="ab"[i % 2], market=("BTC-PERP", "SOL-PERP")[i % 3 == 0]), "paper")
    ids = [r.order.client_id for r in store.orders.page(limit=1000)]
    assert ids == [f"o{i}" for i in reversed(range(30))]
    collected, before = [], None
    while page := store.orders.page(account="a", market="SOL-PERP", limit=2, before_id=before):
        collected += [r.order.client_id for r in page]
        before = page[-1].id
    assert collected == [f"o{i}" for i in reversed(range(30)) if i % 2 == 0 and i % 3 == 0]


def test_fills_for_an_order(store: Storage) -> None:
    store.orders.record_intent(_intent("f-1"), "paper")
    fills = [
        Fill("f-1", "BTC-PERP", "buy", 0.2, 41_000.0, 4.1, ts=2.0, maker=True),
        Fill("f-1", "BTC-PERP", "buy", 0.3, 41_010.0, 6.2, ts=3.0),
        Fill("liq-7", "BTC-PERP", "sell", 0.5, 30_000.0, 15.0, ts=4.0, liquidation=True),
    ]
    for fill in fills:
        store.fills.record(fill, "paper", "paper")
    assert store.fills.for_order("f-1") == fills[:2]
    assert store.fills.for_order("liq-7") == fills[2:]
    assert store.fills.for_order("none") == []


def test_orders_page_filters_by_date(tmp_path):
    from grace_desktop.domain.enums import OrderStatus
    from grace_desktop.domain.models import Order, OrderRequest
    from grace_desktop.storage import open_storage

    with open_storage(tmp_path) as store:
        for i, ts in enumerate((100.0, 200.0, 300.0)):
            request = OrderRequest("acct", "SOL-PERP", "buy", 1.0, client_id=f"c{i}")
            store.orders.record_intent(Order(request, OrderStatus.INTENT, created_at=ts, updated_at=ts), "paper")
        ids = [r.order.client_id for r in store.orders.page(since=150.0, until=300.0)]
        assert ids == ["c1"]
        assert [r.order.client_id for r in store.orders.page(since=100.0)] == ["c2", "c1", "c0"]
