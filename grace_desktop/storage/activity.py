"""What happened over time: position snapshots, equity points, alerts and the monitor's decisions."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Portfolio, Position
from grace_desktop.storage.base import Repository, check_limit, writes
from grace_desktop.storage.records import AlertRecord, DecisionRecord, PositionSnapshot


class PositionRepository(Repository):
    @writes
    def snapshot(self, account: str, positions: list[Position], marks: Mapping[str, float], ts: float) -> None:
        """Record the open positions at `ts` (an empty list records "flat"). Every market needs a mark."""
        account = v.text("account", account)
        ts = v.finite("ts", ts)
        priced = Portfolio(account=account, balance=0.0, marks=dict(marks))
        rows = []
        for p in positions:
            if not isinstance(p, Position):
                raise ValueError(f"positions: expected Position, got {type(p).__name__}")
            if p.account != account:
                raise ValueError(f"positions: {p.market} belongs to account {p.account!r}, not {account!r}")
            mark = v.positive(f"marks[{p.market}]", priced.mark(p.market))
            rows.append((p.market, p.side.value, p.size, p.entry_price, mark, p.leverage, p.unrealized_pnl(mark)))
        with self._store.transaction() as store:
            store.ensure_account(account)
            snapshot_id = store.conn.execute(
                "INSERT INTO position_snapshots (account, ts) VALUES (?, ?)", (account, ts)
            ).lastrowid
            store.conn.executemany(
                "INSERT INTO snapshot_positions (snapshot_id, market, side, size, entry_price, mark, leverage, "
                "unrealized_pnl) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(snapshot_id, *row) for row in rows],
            )

    def latest(self, account: str) -> list[PositionSnapshot]:
        """The positions of the newest snapshot (empty if none, or if the account was flat then)."""
        rows = self._store.query(
            "SELECT s.ts, p.* FROM snapshot_positions p JOIN position_snapshots s ON s.id = p.snapshot_id "
            "WHERE s.id = (SELECT id FROM position_snapshots WHERE account = ? ORDER BY ts DESC, id DESC LIMIT 1) "
            "ORDER BY p.market",
            (account,),
        )
        return [
            PositionSnapshot(
                account=account, market=r["market"], side=Side(r["side"]), size=r["size"],
                entry_price=r["entry_price"], mark=r["mark"], leverage=r["leverage"],
                unrealized_pnl=r["unrealized_pnl"], ts=r["ts"],
            )  # fmt: skip
            for r in rows
        ]


class EquityRepository(Repository):
    @writes
    def record(self, account: str, ts: float, equity: float, free_collateral: float) -> None:
        account = v.text("account", account)
        values = (account, v.finite("ts", ts), v.finite("equity", equity), v.finite("free_collateral", free_collateral))
        with self._store.transaction() as store:
            store.ensure_account(account)
            store.conn.execute("INSERT INTO equity (account, ts, equity, free_collateral) VALUES (?, ?, ?, ?)", values)

    def curve(self, account: str, limit: int = 5000) -> list[tuple[float, float]]:
        """The newest `limit` points, oldest first, ready to plot."""
        rows = self._store.query(
            "SELECT ts, equity FROM (SELECT ts, equity, id FROM equity WHERE account = ? "
            "ORDER BY ts DESC, id DESC LIMIT ?) ORDER BY ts, id",
            (account, check_limit(limit)),
        )
        return [(r["ts"], r["equity"]) for r in rows]


class AlertRepository(Repository):
    @writes
    def record(self, alert: AlertRecord) -> int:
        if not isinstance(alert, AlertRecord):
            raise ValueError(f"alert: expected an AlertRecord, got {type(alert).__name__}")
        cursor = self._store.execute(
            "INSERT INTO alerts (ts, level, title, text, account, market) VALUES (?, ?, ?, ?, ?, ?)",
            (alert.ts, alert.level, alert.title, alert.text, alert.account, alert.market),
        )
        return int(cursor.lastrowid)

    def recent(self, limit: int = 200, account: str | None = None) -> list[AlertRecord]:
        """Newest first."""
        sql, params = "SELECT * FROM alerts", []
        if account is not None:
            sql += " WHERE account = ?"
            params.append(account)
        params.append(check_limit(limit))
        return [
            AlertRecord(r["ts"], r["level"], r["title"], r["text"], r["account"], r["market"], r["id"])
            for r in self._store.query(sql + " ORDER BY id DESC LIMIT ?", params)
        ]


class DecisionRepository(Repository):
    @writes
    def record(
        self, account: str, market: str, rule: str, price: float | None, action: str, detail: object, ts: float | None
    ) -> int:
        """Journal what the monitor decided and at which price. A non-string detail is stored as JSON."""
        if price is not None:
            price = v.finite("price", price)
        text = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True, default=str)
        cursor = self._store.execute(
            "INSERT INTO decisions (ts, account, market, rule, price, action, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                time.time() if ts is None else v.finite("ts", ts), v.text("account", account),
                v.text("market", market), v.text("rule", rule), price, v.text("action", action), text,
            ),  # fmt: skip
        )
        return int(cursor.lastrowid)

    def recent(self, limit: int = 200, account: str | None = None) -> list[DecisionRecord]:
        """Newest first."""
        sql, params = "SELECT * FROM decisions", []
        if account is not None:
            sql += " WHERE account = ?"
            params.append(account)
        params.append(check_limit(limit))
        return [
            DecisionRecord(r["id"], r["ts"], r["account"], r["market"], r["rule"], r["price"], r["action"], r["detail"])
            for r in self._store.query(sql + " ORDER BY id DESC LIMIT ?", params)
        ]
