"""Paper venue state (balance, positions, every accepted order) so a restart keeps paper positions.

Also the paper venue's own history, its fills and funding, written in the same transaction
as the state change they caused: a venue's record of what happened, which the journal can
replay to rebuild round trips it missed (a crash between the venue and the journal).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Fill, Order, Position
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

FILL_COLUMNS = (
    "fill_id", "account", "client_id", "market", "side", "size", "price", "fee", "ts", "maker", "liquidation",
)  # fmt: skip
FUNDING_COLUMNS = ("funding_id", "account", "market", "amount", "daily_rate", "ts")


@dataclass(frozen=True, slots=True)
class PaperFunding:
    """Funding booked to a paper account: `amount` < 0 when the position paid."""

    funding_id: str
    account: str
    market: str
    amount: float
    daily_rate: float
    ts: float


def _fill_values(account: str, fill: Fill) -> tuple[Any, ...]:
    if not isinstance(fill, Fill):
        raise ValueError(f"fills: expected a Fill, got {type(fill).__name__}")
    return (
        v.text("fill_id", fill.fill_id), account, v.text("client_id", fill.client_id), fill.market,
        fill.side.value, fill.size, fill.price, fill.fee, v.finite("ts", fill.ts), int(fill.maker),
        int(fill.liquidation),
    )  # fmt: skip


def _funding_values(account: str, paid: PaperFunding) -> tuple[Any, ...]:
    if not isinstance(paid, PaperFunding):
        raise ValueError(f"funding: expected a PaperFunding, got {type(paid).__name__}")
    if paid.account != account:
        raise ValueError(f"funding: {paid.funding_id!r} is for account {paid.account!r}, not {account!r}")
    return (
        v.text("funding_id", paid.funding_id), account, v.text("market", paid.market),
        v.finite("amount", paid.amount), v.finite("daily_rate", paid.daily_rate), v.finite("ts", paid.ts),
    )


def _row_to_fill(row: sqlite3.Row) -> Fill:
    return Fill(
        client_id=row["client_id"], market=row["market"], side=row["side"], size=row["size"], price=row["price"],
        fee=row["fee"], ts=row["ts"], maker=bool(row["maker"]), liquidation=bool(row["liquidation"]),
        fill_id=row["fill_id"],
    )


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


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
        fills: Iterable[Fill] = (),
        funding: Iterable[PaperFunding] = (),
    ) -> None:
        """One transaction: any failure (bad record, wrong account, database error) keeps the previous state.

        `fills` and `funding` are the history the change made; their ids are unique, so a
        fill or funding saved twice is refused with the whole change.
        """
        account = v.text("account", account)
        if balance is not None:
            balance = v.finite("balance", balance)
        # Convert everything first so bad input is refused before any write.
        positions = [position_values(p) for p in upsert_positions]
        deletes = [v.text("delete_positions", m) for m in delete_positions]
        orders = [order_values(o) for o in upsert_orders]
        fees = [(v.finite("entry_fees", fee), account, v.text("entry_fees", market))
                for market, fee in (entry_fees or {}).items()]
        fill_rows = [_fill_values(account, f) for f in fills]
        funding_rows = [_funding_values(account, f) for f in funding]
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
            if fill_rows:
                store.conn.executemany(_insert("paper_fills", FILL_COLUMNS), fill_rows)
            if funding_rows:
                store.conn.executemany(_insert("paper_funding", FUNDING_COLUMNS), funding_rows)

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

    def fills(self, account: str, since: float | None = None) -> list[Fill]:
        """The account's fills, oldest first (in the order they were booked); `since` is inclusive."""
        sql, params = self._history("paper_fills", account, since)
        return [_row_to_fill(r) for r in self._store.query(sql, params)]

    def funding(self, account: str, since: float | None = None) -> list[PaperFunding]:
        """The account's funding payments, oldest first; `since` is inclusive."""
        sql, params = self._history("paper_funding", account, since)
        return [PaperFunding(**{c: r[c] for c in FUNDING_COLUMNS}) for r in self._store.query(sql, params)]

    @staticmethod
    def _history(table: str, account: str, since: float | None) -> tuple[str, list[Any]]:
        sql = f"SELECT * FROM {table} WHERE account = ?"
        params: list[Any] = [v.text("account", account)]
        if since is not None:
            sql += " AND ts >= ?"
            params.append(v.finite("since", since))
        # Booking order (rowid), not ts: a replayed feed can stamp a later change with an earlier time.
        return sql + " ORDER BY rowid", params
