"""The trade journal: closed round trips, paged newest first, filtered, totalled and exported as CSV."""

from __future__ import annotations

import csv
import itertools
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from grace_desktop.domain.enums import Side
from grace_desktop.storage.base import Repository, check_limit, journal_filters, writes
from grace_desktop.storage.records import TradeRecord, TradeTotals

_COLUMNS = (
    "account", "venue", "market", "side", "size", "entry_price", "exit_price", "realized_pnl", "fees",
    "opened_at", "closed_at", "close_reason", "client_id", "fill_id",
)  # fmt: skip
# One trade per closing fill: a fill replayed after a restart finds its trade and adds nothing.
_INSERT = (
    f"INSERT INTO trades ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (venue, fill_id) WHERE fill_id != '' DO NOTHING"
)
# Rows per executemany call: large enough to amortise the Python loop, small enough to keep memory flat.
BATCH_ROWS = 20_000
CSV_HEADER = (
    "id", "closed_at_utc", "opened_at_utc", "account", "venue", "market", "side", "size", "entry_price",
    "exit_price", "realized_pnl", "fees", "net", "close_reason", "client_id",
)  # fmt: skip


def _plain(x: float) -> str:
    """A number as a trader writes it: 12 significant digits, so binary noise (67010.24999999999,
    10.703980000000001) is gone, and never in exponent notation (spreadsheets misread it)."""
    text = format(Decimal(f"{x:.12g}"), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _values(trade: TradeRecord) -> tuple[Any, ...]:
    if not isinstance(trade, TradeRecord):
        raise ValueError(f"trade: expected a TradeRecord, got {type(trade).__name__}")
    return (
        trade.account, trade.venue or "", trade.market, trade.side.value, trade.size, trade.entry_price,
        trade.exit_price, trade.realized_pnl, trade.fees, trade.opened_at, trade.closed_at,
        trade.close_reason, trade.client_id, trade.fill_id,
    )  # fmt: skip


def _row_to_trade(r: sqlite3.Row) -> TradeRecord:
    return TradeRecord(
        account=r["account"], market=r["market"], side=Side(r["side"]), size=r["size"],
        entry_price=r["entry_price"], exit_price=r["exit_price"], realized_pnl=r["realized_pnl"],
        fees=r["fees"], opened_at=r["opened_at"], closed_at=r["closed_at"], venue=r["venue"],
        close_reason=r["close_reason"], client_id=r["client_id"], id=r["id"], fill_id=r["fill_id"],
    )  # fmt: skip


def _filters(
    account: str | None, market: str | None, since: float | None, until: float | None
) -> tuple[list[str], list[Any]]:
    return journal_filters(account, market, since, until, "closed_at")


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds")


class TradeRepository(Repository):
    @writes
    def record(self, trade: TradeRecord) -> int:
        """Journal a round trip; returns its id. If a trade with the same (venue, fill_id) is already
        there (fill_id non-empty), nothing is written and that trade's id is returned."""
        values = _values(trade)
        with self._store.transaction() as store:
            store.ensure_account(trade.account, trade.venue or "")
            cursor = store.conn.execute(_INSERT, values)
            if cursor.rowcount == 1:
                return int(cursor.lastrowid)
            row = store.conn.execute(
                "SELECT id FROM trades WHERE venue = ? AND fill_id = ?", (trade.venue or "", trade.fill_id)
            ).fetchone()
            return int(row["id"])

    @writes
    def record_many(self, trades: Iterable[TradeRecord]) -> None:
        """Bulk insert, BATCH_ROWS per executemany; memory stays flat however many trades come.

        Each batch commits on its own (one huge transaction would grow the WAL to the size of
        the data). For all-or-nothing, call it inside `with store.transaction():`.
        Trades whose (venue, fill_id) is already journaled are skipped.
        """
        iterator = iter(trades)
        seen_accounts: set[tuple[str, str]] = set()
        while True:
            batch = [_values(t) for t in itertools.islice(iterator, BATCH_ROWS)]
            if not batch:
                return
            with self._store.transaction() as store:
                for key in {(row[0], row[1]) for row in batch} - seen_accounts:
                    store.ensure_account(*key)
                    seen_accounts.add(key)
                store.conn.executemany(_INSERT, batch)

    def page(
        self,
        *,
        account: str | None = None,
        market: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 200,
        before_id: int | None = None,
    ) -> list[TradeRecord]:
        """Newest first (closed_at desc, id desc). For the next page pass the last trade's id as before_id."""
        where, params = _filters(account, market, since, until)
        if before_id is not None:
            cursor = self._store.query_one("SELECT closed_at FROM trades WHERE id = ?", (int(before_id),))
            if cursor is None:
                raise ValueError(f"before_id: no trade with id {before_id}")
            # Keyset, not OFFSET: page 5000 costs the same as page 1.
            # A row-value comparison is a range on the (..., closed_at, rowid) indexes.
            where.append("(closed_at, id) < (?, ?)")
            params.extend([cursor["closed_at"], int(before_id)])
        sql = "SELECT * FROM trades"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY closed_at DESC, id DESC LIMIT ?"
        params.append(check_limit(limit))
        return [_row_to_trade(r) for r in self._store.query(sql, params)]

    def totals(
        self,
        *,
        account: str | None = None,
        market: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> TradeTotals:
        where, params = _filters(account, market, since, until)
        sql = (
            "SELECT COUNT(*) AS n, COALESCE(SUM(realized_pnl), 0) AS pnl, COALESCE(SUM(fees), 0) AS fees, "
            "COALESCE(SUM(realized_pnl - fees > 0), 0) AS wins, COALESCE(SUM(realized_pnl - fees < 0), 0) AS losses "
            "FROM trades"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        row = self._store.query_one(sql, params)
        assert row is not None
        return TradeTotals(int(row["n"]), float(row["pnl"]), float(row["fees"]), int(row["wins"]), int(row["losses"]))

    def net(self, venue: str, account: str) -> float:
        """Σ realized_pnl − Σ fees of one account at one venue: what its trades did to the balance."""
        row = self._store.query_one(
            "SELECT COALESCE(SUM(realized_pnl), 0) - COALESCE(SUM(fees), 0) AS net FROM trades "
            "WHERE account = ? AND venue = ?",
            (account, venue),
        )
        assert row is not None
        return float(row["net"])

    def export_csv(
        self,
        path: str | Path,
        *,
        account: str | None = None,
        market: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> int:
        """Write matching trades newest first with a header row; returns the number of trades written.

        Times are ISO-8601 UTC. Written to a temporary file and renamed, so a failure never
        leaves a half-written export behind. Off the writer thread it reads on this thread's
        read-only connection, so writes go on meanwhile (the export shows the state it started on).
        """
        target = Path(path)
        tmp = target.with_name(target.name + ".part")
        where, params = _filters(account, market, since, until)
        sql = f"SELECT id, {', '.join(_COLUMNS)} FROM trades"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY closed_at DESC, id DESC"
        count = 0
        try:
            with tmp.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_HEADER)
                for r in self._store.query_iter(sql, params):
                    writer.writerow((
                        r["id"], _utc(r["closed_at"]), _utc(r["opened_at"]), r["account"], r["venue"], r["market"],
                        r["side"], _plain(r["size"]), _plain(r["entry_price"]), _plain(r["exit_price"]),
                        _plain(r["realized_pnl"]), _plain(r["fees"]), _plain(r["realized_pnl"] - r["fees"]),
                        r["close_reason"], r["client_id"],
                    ))  # fmt: skip
                    count += 1
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return count
