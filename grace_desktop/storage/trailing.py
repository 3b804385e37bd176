"""The best price each trailing stop has seen, so a restart resumes the stop where it was.

Marks are keyed by (venue, account, market). get() and delete() take the venue first:
`get(venue, account, market)`; the older two-argument form `get(account, market)` still works
and means venue "" (the marks stored before venues were tracked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import Side
from grace_desktop.storage.base import Repository, writes


@dataclass(frozen=True, slots=True)
class TrailingMark:
    account: str
    market: str
    side: Side
    opened_at: float  # of the position it belongs to: a new position never inherits an old extreme
    extreme: float
    updated_at: float
    venue: str = ""


def _key(venue: str, account: str, market: str | None) -> tuple[str, str, str]:
    if market is None:  # the two-argument form: (account, market), venue ""
        return "", venue, account
    return venue, account, market


def _values(m: TrailingMark) -> tuple[Any, ...]:
    if not isinstance(m.venue, str):
        raise ValueError(f"venue: must be a string, got {m.venue!r}")
    return (
        m.venue.strip(), v.text("account", m.account), v.text("market", m.market), Side.parse(m.side).value,
        v.finite("opened_at", m.opened_at), v.positive("extreme", m.extreme), v.finite("updated_at", m.updated_at),
    )  # fmt: skip


class TrailingRepository(Repository):
    @writes
    def save_many(self, marks: Iterable[TrailingMark]) -> None:
        """Upsert marks, all or nothing (a bad one saves none)."""
        rows = [_values(m) for m in marks]
        if not rows:
            return
        with self._store.transaction() as store:
            for key in {(row[1], row[0]) for row in rows}:
                store.ensure_account(*key)
            store.conn.executemany(
                "INSERT INTO trailing_extremes (venue, account, market, side, opened_at, extreme, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (venue, account, market) DO UPDATE SET "
                "side = excluded.side, opened_at = excluded.opened_at, extreme = excluded.extreme, "
                "updated_at = excluded.updated_at",
                rows,
            )

    def put(self, mark: TrailingMark) -> None:
        self.save_many([mark])

    def get(self, venue: str, account: str, market: str | None = None) -> TrailingMark | None:
        venue, account, market = _key(venue, account, market)
        row = self._store.query_one(
            "SELECT * FROM trailing_extremes WHERE venue = ? AND account = ? AND market = ?", (venue, account, market)
        )
        if row is None:
            return None
        return TrailingMark(row["account"], row["market"], Side(row["side"]), row["opened_at"], row["extreme"],
                            row["updated_at"], row["venue"])

    @writes
    def delete(self, venue: str, account: str, market: str | None = None) -> None:
        venue, account, market = _key(venue, account, market)
        self._store.execute(
            "DELETE FROM trailing_extremes WHERE venue = ? AND account = ? AND market = ?", (venue, account, market)
        )
