from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Order, OrderRequest, Position
from grace_desktop.storage import Storage, open_storage


def _order(client_id: str, status: OrderStatus = OrderStatus.OPEN, account: str = "paper") -> Order:
    request = OrderRequest(account, "BTC-PERP", "buy", 0.01, "limit", price=50_000.0, leverage=5, client_id=client_id)
    return Order(request, status, venue_order_id=f"v-{client_id}", created_at=100.0, updated_at=100.0)


def _position(market: str = "BTC-PERP", size: float = 0.5, account: str = "paper") -> Position:
    return Position(account, market, Side.LONG, size, 50_000.0, leverage=5, collateral=5_000.0, opened_at=10.0)


def test_fresh_account_has_no_state(store: Storage) -> None:
    state = store.paper.load("paper")
    assert state.balance is None and state.positions == [] and state.orders == []
    assert store.paper.accounts() == []


def test_state_survives_reopen(data_dir: Path) -> None:
    with open_storage(data_dir) as store:
        store.paper.save(
            "paper",
            balance=9_000.0,
            upsert_positions=[_position(), _position("ETH-PERP", 2.0)],
            upsert_orders=[_order("a"), _order("b", OrderStatus.FILLED)],
        )
    with open_storage(data_dir) as store:
        state = store.paper.load("paper")
        assert state.balance == 9_000.0
        assert {p.market: p for p in state.positions} == {"BTC-PERP": _position(), "ETH-PERP": _position("ETH-PERP", 2.0)}
        assert [o.client_id for o in state.orders] == ["a", "b"]
        assert state.orders[0] == _order("a")
        assert [o.client_id for o in store.paper.orders("paper", open_only=True)] == ["a"]
        assert [o.client_id for o in store.paper.orders("paper")] == ["a", "b"]
        assert store.paper.order("b") == _order("b", OrderStatus.FILLED)
        assert store.paper.order("missing") is None
        assert store.paper.accounts() == ["paper"]


def test_upserts_replace_and_deletes_remove(store: Storage) -> None:
    store.paper.save("paper", balance=1_000.0, upsert_positions=[_position()], upsert_orders=[_order("a")])
    store.paper.save(
        "paper",
        upsert_positions=[_position(size=0.25)],
        upsert_orders=[_order("a").with_status(OrderStatus.FILLED, filled_size=0.01, avg_fill_price=50_000.0)],
    )
    state = store.paper.load("paper")
    assert state.balance == 1_000.0  # balance=None leaves it alone
    assert [p.size for p in state.positions] == [0.25]
    assert state.orders[0].status is OrderStatus.FILLED and state.orders[0].filled_size == 0.01
    assert state.orders[0].created_at == 100.0
    store.paper.save("paper", balance=1_200.0, delete_positions=["BTC-PERP"])
    state = store.paper.load("paper")
    assert state.positions == [] and state.balance == 1_200.0


def test_failed_save_keeps_previous_state(store: Storage) -> None:
    store.paper.save("paper", balance=1_000.0, upsert_positions=[_position()], upsert_orders=[_order("a")])
    before = store.paper.load("paper")

    class Exploding:
        """An iterable that fails half-way, after valid items were produced."""

        def __iter__(self):
            yield _position("ETH-PERP")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.paper.save("paper", balance=5.0, upsert_positions=Exploding())
    assert store.paper.load("paper") == before

    with pytest.raises(ValueError, match="upsert_orders"):
        store.paper.save("paper", balance=5.0, upsert_orders=[_order("z", account="other")])
    with pytest.raises(DomainError, match="balance"):
        store.paper.save("paper", balance=float("nan"), delete_positions=["BTC-PERP"])
    assert store.paper.load("paper") == before


def test_database_failure_midway_rolls_back_earlier_writes(store: Storage) -> None:
    store.paper.save("paper", balance=1_000.0, upsert_positions=[_position()], upsert_orders=[_order("a")])
    before = store.paper.load("paper")
    # A real constraint failure on the last statement of save(), after balance/positions were written.
    store.conn.execute(
        "CREATE TEMP TRIGGER refuse_order BEFORE INSERT ON paper_orders "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
        store.paper.save(
            "paper", balance=1.0, upsert_positions=[_position("SOL-PERP")], delete_positions=["BTC-PERP"],
            upsert_orders=[_order("b")],
        )  # fmt: skip
    assert store.paper.load("paper") == before


def test_exception_inside_outer_transaction_rolls_back_save(store: Storage) -> None:
    store.paper.save("paper", balance=1_000.0, upsert_positions=[_position()])
    before = store.paper.load("paper")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.paper.save("paper", balance=1.0, delete_positions=["BTC-PERP"])
            assert store.paper.load("paper").balance == 1.0
            raise RuntimeError("crash after the write")
    assert store.paper.load("paper") == before
