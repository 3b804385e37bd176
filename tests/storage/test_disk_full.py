"""A full disk (a real SQLITE_FULL, from max_page_count) is a one-line StorageFullError that keeps nothing half-written."""

from __future__ import annotations

import sqlite3
import time

import pytest

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.domain.models import Order, OrderRequest
from grace_desktop.storage import AlertRecord, Storage, StorageError, StorageFullError, TradeRecord
from grace_desktop.storage.errors import SQLITE_FULL


def _trades(n: int, start: int = 0) -> list[TradeRecord]:
    return [
        TradeRecord("paper", "SOL-PERP", Side.LONG, 1.0, 100.0, 101.0, 1.0, 0.05, float(i), float(i) + 1.0,
                    close_reason="take_profit " * 20, client_id=f"c{i}")
        for i in range(start, start + n)
    ]


def _limit_pages(store: Storage, headroom: int) -> int:
    """Cap the database just above its current size (max_page_count is per connection: the writer's)."""
    pages = store.query_one("PRAGMA page_count")[0]

    def cap() -> int:
        return int(store.conn.execute(f"PRAGMA max_page_count = {pages + headroom}").fetchone()[0])

    assert store.run_write(cap) == pages + headroom
    return pages


def _unlimit(store: Storage) -> None:
    store.run_write(lambda: store.conn.execute("PRAGMA max_page_count = 1073741823").fetchone())


async def test_disk_full_is_refused_whole_then_writes_work_again(store: Storage) -> None:
    store.trades.record_many(_trades(10))
    store.alerts.record(AlertRecord(1.0, "info", "before", "x"))
    _limit_pages(store, headroom=2)

    def five_thousand_trades_and_an_alert() -> None:
        with store.transaction():
            store.alerts.record(AlertRecord(2.0, "info", "during", "x"))
            store.trades.record_many(_trades(5_000, start=10))

    with pytest.raises(StorageFullError) as full:
        await store.write(five_thousand_trades_and_an_alert)
    message = str(full.value)
    print(f"\n{message}")
    assert message == f"no space left for {store.path}: database or disk is full"
    assert "\n" not in message and isinstance(full.value, StorageError)
    assert isinstance(full.value.__cause__, sqlite3.OperationalError)
    assert full.value.__cause__.sqlite_errorcode == SQLITE_FULL
    # Nothing of the failed transaction remains, and the earlier data is intact.
    assert store.trades.totals().count == 10
    assert [a.title for a in store.alerts.recent()] == ["before"]

    # The sync path (a repository call on this thread, handed to the writer) says the same.
    intent = Order(OrderRequest("paper", "SOL-PERP", "sell", 1.0, client_id="sl-1", reduce_only=True),
                   OrderStatus.INTENT)
    with pytest.raises(StorageFullError, match="no space left for .*grace.db"):
        store.trades.record_many(_trades(5_000, start=10))
    assert store.trades.totals().count == 10  # the failed batch committed nothing of itself

    _unlimit(store)  # space is back
    await store.write(five_thousand_trades_and_an_alert)
    store.orders.record_intent(intent, "paper", purpose="stop_loss")
    assert store.trades.totals().count == 5_010
    assert [a.title for a in store.alerts.recent()] == ["during", "before"]
    assert store.orders.get("sl-1").purpose == "stop_loss"
    assert store.query_one("PRAGMA integrity_check")[0] == "ok"


def test_disk_full_inside_nested_transactions_rolls_back_everything(store: Storage) -> None:
    store.alerts.record(AlertRecord(1.0, "info", "kept", "x"))
    _limit_pages(store, headroom=1)
    with pytest.raises(StorageFullError):
        with store.transaction():
            store.alerts.record(AlertRecord(2.0, "info", "outer", "x"))
            with store.transaction():
                store.trades.record_many(_trades(3_000))
    _unlimit(store)
    assert [a.title for a in store.alerts.recent()] == ["kept"] and store.trades.totals().count == 0
    store.alerts.record(AlertRecord(time.time(), "info", "after", "x"))
    assert [a.title for a in store.alerts.recent()] == ["after", "kept"]
