"""Stored candles (the chart's price history): upserted in batches by the writer, read newest-first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from grace_desktop.storage.base import Repository, check_limit, writes

Row = Sequence[float]  # (ts, open, high, low, close, volume)


class CandleRepository(Repository):
    @writes
    def save_many(self, venue: str, rows: Iterable[tuple[str, int, Row]]) -> int:
        """(market, timeframe seconds, (ts, o, h, l, c, v)) rows; a bar already stored is replaced
        (the bar in progress is saved again as it grows). Bars with non-finite or non-positive
        prices are skipped rather than stored."""
        values = []
        for market, timeframe, (ts, o, h, lo, c, vol) in rows:
            if min(o, h, lo, c) > 0 and h >= lo and vol >= 0 and all(x == x for x in (ts, o, h, lo, c, vol)):
                values.append((venue, market, int(timeframe), float(ts), o, h, lo, c, vol))
        if values:
            with self._store.transaction() as store:
                store.conn.executemany(
                    "INSERT INTO candles (venue, market, timeframe, ts, open, high, low, close, volume) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (venue, market, timeframe, ts) DO UPDATE SET "
                    "open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, "
                    "volume = excluded.volume",
                    values,
                )
        return len(values)

    def recent(self, venue: str, market: str, timeframe: int, limit: int = 50_000) -> list[tuple[float, ...]]:
        """The newest `limit` bars of one series, oldest first."""
        rows = self._store.query(
            "SELECT ts, open, high, low, close, volume FROM candles WHERE venue = ? AND market = ? AND timeframe = ? "
            "ORDER BY ts DESC LIMIT ?", (venue, market, int(timeframe), check_limit(limit)),
        )
        return [tuple(r) for r in reversed(rows)]

    def last_ts(self, venue: str, market: str, timeframe: int) -> float | None:
        row = self._store.query_one(
            "SELECT MAX(ts) AS ts FROM candles WHERE venue = ? AND market = ? AND timeframe = ?",
            (venue, market, int(timeframe)),
        )
        return None if row is None or row["ts"] is None else float(row["ts"])
