"""Rows <-> domain records. Enum values are stored as their strings, booleans as 0/1."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order, OrderRequest, Position

ORDER_COLUMNS = (
    "client_id", "account", "market", "side", "size", "order_type", "price", "leverage", "reduce_only",
    "status", "venue_order_id", "filled_size", "avg_fill_price", "reason", "created_at", "updated_at",
)  # fmt: skip

POSITION_COLUMNS = (
    "account", "market", "side", "size", "entry_price", "leverage", "collateral", "realized_pnl", "opened_at",
)  # fmt: skip


def order_values(order: Order) -> tuple[Any, ...]:
    """Values for ORDER_COLUMNS. Orders without a client id cannot be journaled or reconciled."""
    if not isinstance(order, Order):
        raise ValueError(f"order: expected an Order, got {type(order).__name__}")
    request = order.request
    client_id = v.text("client_id", request.client_id)
    status = OrderStatus(order.status)
    now = time.time()
    created = order.created_at or now
    return (
        client_id, request.account, request.market, request.side.value, request.size,
        request.order_type.value, request.price, request.leverage, int(request.reduce_only),
        status.value, order.venue_order_id, float(order.filled_size), order.avg_fill_price,
        order.reason or "", created, order.updated_at or created,
    )  # fmt: skip


def row_to_order(row: sqlite3.Row) -> Order:
    request = OrderRequest(
        account=row["account"],
        market=row["market"],
        side=row["side"],
        size=row["size"],
        order_type=row["order_type"],
        price=row["price"],
        leverage=row["leverage"],
        reduce_only=bool(row["reduce_only"]),
        client_id=row["client_id"],
    )
    return Order(
        request=request,
        status=OrderStatus(row["status"]),
        venue_order_id=row["venue_order_id"],
        filled_size=row["filled_size"],
        avg_fill_price=row["avg_fill_price"],
        reason=row["reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def position_values(position: Position) -> tuple[Any, ...]:
    if not isinstance(position, Position):
        raise ValueError(f"position: expected a Position, got {type(position).__name__}")
    return (
        position.account, position.market, position.side.value, position.size, position.entry_price,
        position.leverage, position.collateral, position.realized_pnl, position.opened_at,
    )  # fmt: skip


def row_to_position(row: sqlite3.Row) -> Position:
    return Position(**{name: row[name] for name in POSITION_COLUMNS})
