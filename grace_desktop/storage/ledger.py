"""The journal's own open positions (one row per venue, account and market), built from fills.

The service that turns fills into round trips keeps these rows, so a restart resumes each
position's entry price and unbooked opening fees without asking the venue.
"""

from __future__ import annotations

import sqlite3

from grace_desktop.storage.base import Repository, where_equal, writes
from grace_desktop.storage.records import LedgerPosition

_COLUMNS = (
    "venue", "account", "market", "side", "size", "entry_price", "leverage", "entry_fees", "opened_at", "updated_at",
)  # fmt: skip
_UPSERT = (
    f"INSERT INTO ledger_positions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (venue, account, market) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[3:])
)


def _row(r: sqlite3.Row) -> LedgerPosition:
    return LedgerPosition(**{name: r[name] for name in _COLUMNS})


class LedgerRepository(Repository):
    def get(self, venue: str, account: str, market: str) -> LedgerPosition | None:
        row = self._store.query_one(
            "SELECT * FROM ledger_positions WHERE venue = ? AND account = ? AND market = ?", (venue, account, market)
        )
        return None if row is None else _row(row)

    @writes
    def put(self, position: LedgerPosition) -> None:
        """Insert or replace the position of (venue, account, market)."""
        if not isinstance(position, LedgerPosition):
            raise ValueError(f"position: expected a LedgerPosition, got {type(position).__name__}")
        values = tuple(getattr(position, c) for c in _COLUMNS)
        with self._store.transaction() as store:
            store.ensure_account(position.account, position.venue)
            store.conn.execute(_UPSERT, (*values[:3], position.side.value, *values[4:]))

    @writes
    def delete(self, venue: str, account: str, market: str) -> bool:
        """Forget a closed position; False when there was none."""
        cursor = self._store.execute(
            "DELETE FROM ledger_positions WHERE venue = ? AND account = ? AND market = ?", (venue, account, market)
        )
        return cursor.rowcount == 1

    def all(self, venue: str | None = None, account: str | None = None) -> list[LedgerPosition]:
        where, params = where_equal(venue=venue, account=account)
        sql = "SELECT * FROM ledger_positions" + where + " ORDER BY venue, account, market"
        return [_row(r) for r in self._store.query(sql, params)]
