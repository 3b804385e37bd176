"""The best price each trailing stop has seen, so a restart resumes the stop where it was."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import Side
from grace_desktop.storage.base import Repository


@dataclass(frozen=True, slots=True)
class TrailingMark:
    account: str
    market: str
    side: Side
    opened_at: float  # of the position it belongs to: a new position never inherits an old extreme
    extreme: float
    updated_at: float


class TrailingRepository(Repository):
    def save_many(self, marks: Iterable[TrailingMark]) -> None:
        rows = [
            (v.text("account", m.account), v.text("market", m.market), Side.parse(m.side).value,
             v.finite("opened_at", m.opened_at), v.positive("extreme", m.extreme), v.finite("updated_at", m.updated_at))
            for m in marks
        ]
        if not rows:
            return
        with self._store.transaction() as store:
            for row in rows:
                store.ensure_account(row[0])
            store.conn.executemany(
                "INSERT INTO trailing_extremes (account, market, side, opened_at, extreme, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, market) DO UPDATE SET side = excluded.side, "
                "opened_at = excluded.opened_at, extreme = excluded.extreme, updated_at = excluded.updated_at",
                rows,
            )

    def get(self, account: str, market: str) -> TrailingMark | None:
        row = self._store.query_one(
            "SELECT * FROM trailing_extremes WHERE account = ? AND market = ?", (account, market)
        )
        if row is None:
            return None
        return TrailingMark(row["account"], row["market"], Side(row["side"]), row["opened_at"], row["extreme"],
                            row["updated_at"])

    def delete(self, account: str, market: str) -> None:
        self._store.execute("DELETE FROM trailing_extremes WHERE account = ? AND market = ?", (account, market))
