"""Orders (the intent is written before it is sent, completed after) and their fills."""

from __future__ import annotations

import sqlite3
import time

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Fill, Order
from grace_desktop.storage.base import Repository, check_limit, journal_filters, writes
from grace_desktop.storage.codec import ORDER_COLUMNS, order_values, row_to_order
from grace_desktop.storage.errors import NotFoundError
from grace_desktop.storage.records import OrderRecord

_INSERT = (
    f"INSERT INTO orders (venue, purpose, trigger_price, {', '.join(ORDER_COLUMNS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' * len(ORDER_COLUMNS))})"
)
# Orders whose outcome is still open: the venue may act on them, or we do not know yet whether it did.
UNRESOLVED = tuple(
    s.value for s in (
        OrderStatus.INTENT, OrderStatus.SUBMITTED, OrderStatus.UNKNOWN, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED,
    )
)  # fmt: skip
_FILL_COLUMNS = (
    "client_id", "account", "venue", "market", "side", "size", "price", "fee", "ts", "maker", "liquidation", "fill_id",
)  # fmt: skip
# A fill the venue already reported (same venue, same non-empty fill id) is skipped, not doubled.
_INSERT_FILL = (
    f"INSERT INTO fills ({', '.join(_FILL_COLUMNS)}) VALUES ({', '.join('?' * len(_FILL_COLUMNS))}) "
    "ON CONFLICT (venue, fill_id) WHERE fill_id != '' DO NOTHING"
)


def _record(row: sqlite3.Row) -> OrderRecord:
    return OrderRecord(id=row["id"], order=row_to_order(row), venue=row["venue"], purpose=row["purpose"],
                       trigger_price=row["trigger_price"])


def _row_to_fill(r: sqlite3.Row) -> Fill:
    return Fill(
        client_id=r["client_id"], market=r["market"], side=r["side"], size=r["size"], price=r["price"],
        fee=r["fee"], ts=r["ts"], maker=bool(r["maker"]), liquidation=bool(r["liquidation"]), fill_id=r["fill_id"],
    )  # fmt: skip


class OrderRepository(Repository):
    @writes
    def record_intent(self, order: Order, venue: str, purpose: str = "", trigger_price: float | None = None) -> None:
        """Journal an order before it goes to the venue, with why it is sent ("manual", "stop_loss"...).

        A client_id already journaled is refused (ValueError).
        """
        venue = v.text("venue", venue)
        if not isinstance(purpose, str):
            raise ValueError(f"purpose: must be a string, got {purpose!r}")
        if trigger_price is not None:
            trigger_price = v.positive("trigger_price", trigger_price)
        values = order_values(order)
        with self._store.transaction() as store:
            store.ensure_account(order.request.account, venue)
            try:
                store.conn.execute(_INSERT, (venue, purpose.strip(), trigger_price, *values))
            except sqlite3.IntegrityError as exc:
                if "orders.client_id" in str(exc):
                    raise ValueError(f"client_id: {values[0]!r} is already in the journal") from None
                raise

    @writes
    def update(
        self,
        client_id: str,
        *,
        status: OrderStatus,
        venue_order_id: str | None = None,
        filled_size: float | None = None,
        avg_fill_price: float | None = None,
        reason: str | None = None,
    ) -> None:
        """Record what the venue said. Fields left None keep their stored value."""
        status = OrderStatus(status)
        if filled_size is not None:
            filled_size = v.non_negative("filled_size", filled_size)
        if avg_fill_price is not None:
            avg_fill_price = v.positive("avg_fill_price", avg_fill_price)
        cursor = self._store.execute(
            "UPDATE orders SET status = ?, venue_order_id = COALESCE(?, venue_order_id), "
            "filled_size = COALESCE(?, filled_size), avg_fill_price = COALESCE(?, avg_fill_price), "
            "reason = COALESCE(?, reason), updated_at = ? WHERE client_id = ?",
            (status.value, venue_order_id, filled_size, avg_fill_price, reason, time.time(), client_id),
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"client_id: no journaled order {client_id!r}")

    def get(self, client_id: str) -> OrderRecord | None:
        row = self._store.query_one("SELECT * FROM orders WHERE client_id = ?", (client_id,))
        return None if row is None else _record(row)

    def pending_intents(self) -> list[OrderRecord]:
        """Orders written but never completed: after a crash, ask the venue about each of these."""
        rows = self._store.query("SELECT * FROM orders WHERE status = ? ORDER BY id", (OrderStatus.INTENT.value,))
        return [_record(r) for r in rows]

    def unresolved(self) -> list[OrderRecord]:
        """Orders the venue may still act on or whose outcome is not known (intent, submitted, unknown,
        open, partially filled), oldest first: the ones to resolve by client id, fills and positions."""
        rows = self._store.query(
            f"SELECT * FROM orders WHERE status IN ({', '.join('?' * len(UNRESOLVED))}) ORDER BY id", UNRESOLVED
        )
        return [_record(r) for r in rows]

    def page(
        self, *, account: str | None = None, market: str | None = None, since: float | None = None,
        until: float | None = None, limit: int = 200, before_id: int | None = None,
    ) -> list[OrderRecord]:
        """Newest first; pass the last id of a page as before_id for the next one.
        `since` (inclusive) and `until` (exclusive) bound created_at, like the trades journal."""
        where, params = journal_filters(account, market, since, until, "created_at")
        if before_id is not None:
            where.append("id < ?")
            params.append(int(before_id))
        sql = "SELECT * FROM orders"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(check_limit(limit))
        return [_record(r) for r in self._store.query(sql, params)]


class FillRepository(Repository):
    @writes
    def record(self, fill: Fill, account: str, venue: str) -> bool:
        """Journal a fill; False (nothing written) when this venue already reported a fill with its fill_id.

        Fills without a fill_id ("") are never deduplicated.
        """
        if not isinstance(fill, Fill):
            raise ValueError(f"fill: expected a Fill, got {type(fill).__name__}")
        account = v.text("account", account)
        venue = v.text("venue", venue)
        if not isinstance(fill.fill_id, str):
            raise ValueError(f"fill_id: must be a string, got {fill.fill_id!r}")
        with self._store.transaction() as store:
            store.ensure_account(account, venue)
            cursor = store.conn.execute(
                _INSERT_FILL,
                (
                    fill.client_id, account, venue, fill.market, fill.side.value, fill.size, fill.price,
                    fill.fee, fill.ts, int(fill.maker), int(fill.liquidation), fill.fill_id.strip(),
                ),  # fmt: skip
            )
            return cursor.rowcount == 1

    def for_order(self, client_id: str) -> list[Fill]:
        rows = self._store.query("SELECT * FROM fills WHERE client_id = ? ORDER BY ts, id", (client_id,))
        return [_row_to_fill(r) for r in rows]

    def since(self, venue: str, account: str, ts: float | None = None) -> list[Fill]:
        """Fills of one account at one venue, oldest first; from `ts` on (inclusive) when given."""
        sql = "SELECT * FROM fills WHERE venue = ? AND account = ?"
        params: list[object] = [venue, account]
        if ts is not None:
            sql += " AND ts >= ?"
            params.append(v.finite("ts", ts))
        return [_row_to_fill(r) for r in self._store.query(sql + " ORDER BY ts, id", params)]

    def last_ts(self, venue: str, account: str) -> float | None:
        """When the newest journaled fill of this account at this venue happened (None: no fills)."""
        row = self._store.query_one("SELECT MAX(ts) AS ts FROM fills WHERE venue = ? AND account = ?", (venue, account))
        return None if row is None or row["ts"] is None else float(row["ts"])
