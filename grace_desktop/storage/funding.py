"""Funding payments of perp positions, journaled once each (keyed by the venue's own id)."""

from __future__ import annotations

from grace_desktop.domain import validation as v
from grace_desktop.storage.base import Repository, where_equal, writes


class FundingRepository(Repository):
    @writes
    def record(
        self, venue: str, account: str, market: str, amount: float, daily_rate: float | None, ts: float,
        funding_id: str,
    ) -> bool:  # fmt: skip
        """Journal one payment: amount > 0 was received, < 0 paid. False (nothing written) when this
        venue already reported a payment with this funding_id."""
        values = (
            v.text("venue", venue), v.text("account", account), v.text("market", market), v.finite("amount", amount),
            None if daily_rate is None else v.finite("daily_rate", daily_rate), v.finite("ts", ts),
            v.text("funding_id", funding_id),
        )  # fmt: skip
        with self._store.transaction() as store:
            store.ensure_account(values[1], values[0])
            cursor = store.conn.execute(
                "INSERT INTO funding (venue, account, market, amount, daily_rate, ts, funding_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (venue, funding_id) DO NOTHING",
                values,
            )
            return cursor.rowcount == 1

    def total(self, venue: str | None = None, account: str | None = None) -> float:
        """Σ amount (received minus paid), over everything or one venue and/or account."""
        where, params = where_equal(venue=venue, account=account)
        row = self._store.query_one("SELECT COALESCE(SUM(amount), 0) AS total FROM funding" + where, params)
        assert row is not None
        return float(row["total"])

    def since_opened(self, positions: list[tuple[str, str, str, float]]) -> dict[tuple[str, str, str], float]:
        """Funding accumulated by each open position: Σ amount per (venue, account, market) since its
        `opened_at` (inclusive). One query per position; a window holds a few dozen at most."""
        out: dict[tuple[str, str, str], float] = {}
        for venue, account, market, opened_at in positions:
            row = self._store.query_one(
                "SELECT COALESCE(SUM(amount), 0) AS total FROM funding WHERE venue = ? AND account = ? AND market = ? "
                "AND ts >= ?", (venue, account, market, opened_at))
            assert row is not None
            out[(venue, account, market)] = float(row["total"])
        return out
