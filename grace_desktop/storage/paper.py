"""Paper venue state (balance, positions, every accepted order) so a restart keeps paper positions."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order, Position
from grace_desktop.storage.base import Repository
from grace_desktop.storage.codec import (
    ORDER_COLUMNS,
    POSITION_COLUMNS,
    order_values,
    position_values,
    row_to_order,
    row_to_position,
)
from grace_desktop.storage.records import PaperState

_OPEN = tuple(s.value for s in OrderStatus if not s.is_final)
_UPSERT_POSITION = (
    f"INSERT INTO paper_positions ({', '.join(POSITION_COLUMNS)}) VALUES ({', '.join('?' * len(POSITION_COLUMNS))}) "
    "ON CONFLICT(account, market) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in POSITION_COLUMNS[2:])
)
_UPSERT_ORDER = (
    f"INSERT INTO paper_orders ({', '.join(ORDER_COLUMNS)}) VALUES ({', '.join('?' * len(ORDER_COLUMNS))}) "
    "ON CONFLICT(client_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ORDER_COLUMNS[1:] if c != "created_at")
)


class PaperRepository(Repository):
    def load(self, account: str) -> PaperState:
        account = v.text("account", account)
        with self._store._lock:
            row = self._store.query_one("SELECT balance FROM paper_accounts WHERE account = ?", (account,))
            positions = self._store.query(
                "SELECT * FROM paper_positions WHERE account = ? ORDER BY opened_at, market", (account,)
            )
            orders = self._store.query(
                "SELECT * FROM paper_orders WHERE account = ? ORDER BY created_at, rowid", (account,)
            )
        return PaperState(
            balance=None if row is None else row["balance"],
            positions=[row_to_position(r) for r in positions],
            orders=[row_to_order(r) for r in orders],
            entry_fees={r["market"]: r["entry_fees"] for r in positions},
        )

    def save(
        self,
        account: str,
        *,
        balance: float | None = None,
        upsert_positions: Iterable[Position] = (),
        delete_positions: Iterable[str] = (),
        upsert_orders: Iterable[Order] = (),
        entry_fees: Mapping[str, float] | None = None,
    ) -> None:
        """One transaction: any failure (bad record, wrong account, database error) keeps the previous state."""
        account = v.text("account", account)
        if balance is not None:
            balance = v.finite("balance", balance)
        # Convert everything first so bad input is refused before any write.
        positions = [position_values(p) for p in upsert_positions]
        deletes = [v.text("delete_positions", m) for m in delete_positions]
        orders = [order_values(o) for o in upsert_orders]
        fees = [(v.finite("entry_fees", fee), account, v.text("entry_fees", market))
                for market, fee in (entry_fees or {}).items()]
        for values in positions:
            if values[0] != account:
                raise ValueError(f"upsert_positions: position for account {values[0]!r} saved under {account!r}")
        for values in orders:
            if values[1] != account:
                raise ValueError(f"upsert_orders: order {values[0]!r} is for account {values[1]!r}, not {account!r}")
        now = time.time()
        with self._store.transaction() as store:
            store.conn.execute(
                "INSERT INTO paper_accounts (account, balance, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(account) DO UPDATE SET balance = COALESCE(excluded.balance, balance), "
                "updated_at = excluded.updated_at",
                (account, balance, now),
            )
            if positions:
                store.conn.executemany(_UPSERT_POSITION, positions)
            if fees:
                store.conn.executemany(
                    "UPDATE paper_positions SET entry_fees = ? WHERE account = ? AND market = ?", fees
                )
            if deletes:
                store.conn.executemany(
                    "DELETE FROM paper_positions WHERE account = ? AND market = ?", [(account, m) for m in deletes]
                )
            if orders:
                ids = [values[0] for values in orders]
                clash = store.conn.execute(
                    f"SELECT client_id, account FROM paper_orders WHERE account != ? "
                    f"AND client_id IN ({', '.join('?' * len(ids))}) LIMIT 1",
                    (account, *ids),
                ).fetchone()
                if clash is not None:
                    raise ValueError(f"upsert_orders: client_id {clash[0]!r} already belongs to account {clash[1]!r}")
                store.conn.executemany(_UPSERT_ORDER, orders)

    def order(self, client_id: str) -> Order | None:
        row = self._store.query_one("SELECT * FROM paper_orders WHERE client_id = ?", (client_id,))
        return None if row is None else row_to_order(row)

    def orders(self, account: str, *, open_only: bool = False) -> list[Order]:
        sql = "SELECT * FROM paper_orders WHERE account = ?"
        params: list[object] = [account]
        if open_only:
            sql += f" AND status IN ({', '.join('?' * len(_OPEN))})"
            params.extend(_OPEN)
        return [row_to_order(r) for r in self._store.query(sql + " ORDER BY created_at, rowid", params)]

    def accounts(self) -> list[str]:
        return [r["account"] for r in self._store.query("SELECT account FROM paper_accounts ORDER BY account")]
