"""Armed conditions (entries and exits) and what became of them: fired at a price, or cancelled."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable

from grace_desktop.domain import validation as v
from grace_desktop.storage.base import Repository, writes
from grace_desktop.storage.errors import NotFoundError
from grace_desktop.storage.records import CONDITION_STATUSES, ConditionRecord


def _row_to_condition(r: sqlite3.Row) -> ConditionRecord:
    return ConditionRecord(
        account=r["account"], market=r["market"], kind=r["kind"], params=json.loads(r["params"]),
        status=r["status"], id=r["id"], created_at=r["created_at"], fired_at=r["fired_at"],
        fired_price=r["fired_price"], reason=r["reason"], venue=r["venue"],
        alert_only=bool(r["alert_only"]),
    )  # fmt: skip


def _price(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
        raise ValueError(f"{name}: must be a finite price, got {value!r}")


class ConditionRepository(Repository):
    @writes
    def add(self, cond: ConditionRecord) -> int:
        """Store a new condition as armed; returns its id."""
        if not isinstance(cond, ConditionRecord):
            raise ValueError(f"cond: expected a ConditionRecord, got {type(cond).__name__}")
        try:
            params = json.dumps(cond.params, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"params: not storable as JSON ({exc})") from None
        with self._store.transaction() as store:
            store.ensure_account(cond.account, cond.venue)
            cursor = store.conn.execute(
                "INSERT INTO conditions (account, market, kind, params, status, created_at, reason, venue, alert_only) "
                "VALUES (?, ?, ?, ?, 'armed', ?, ?, ?, ?)",
                (cond.account, cond.market, cond.kind, params, cond.created_at or time.time(), cond.reason,
                 cond.venue.strip(), int(cond.alert_only)),
            )
            return int(cursor.lastrowid)

    def armed(
        self, account: str | None = None, market: str | None = None, venue: str | None = None
    ) -> list[ConditionRecord]:
        """Armed conditions, oldest first; each filter given must match exactly (venue "" included)."""
        sql = "SELECT * FROM conditions WHERE status = 'armed'"
        params: list[object] = []
        for column, value in (("venue", venue), ("account", account), ("market", market)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [_row_to_condition(r) for r in self._store.query(sql + " ORDER BY id", params)]

    def get(self, id: int) -> ConditionRecord | None:
        row = self._store.query_one("SELECT * FROM conditions WHERE id = ?", (int(id),))
        return None if row is None else _row_to_condition(row)

    @writes
    def set_status(
        self, id: int, status: str, *, fired_price: float | None = None, reason: str = "", ts: float | None = None
    ) -> bool:
        """Move an armed condition to fired (with the price that fired it) or cancelled.

        The first outcome wins: a condition already fired or cancelled is left as it is and
        False is returned (so the fired price is never overwritten, and a fire racing a cancel
        resolves in one UPDATE). True when this call changed it. Unknown id: NotFoundError.
        """
        if status not in CONDITION_STATUSES:
            raise ValueError(f"status: must be one of {', '.join(CONDITION_STATUSES)}, got {status!r}")
        _price("fired_price", fired_price)
        if status == "fired" and fired_price is None:
            raise ValueError("fired_price: a fired condition needs the price that fired it")
        fired_at = (time.time() if ts is None else float(ts)) if status == "fired" else None
        with self._store.transaction() as store:
            cursor = store.conn.execute(
                "UPDATE conditions SET status = ?, fired_price = ?, fired_at = ?, reason = ? "
                "WHERE id = ? AND status = 'armed'",
                (status, fired_price, fired_at, reason, int(id)),
            )
            if cursor.rowcount == 1:
                return True
            row = store.conn.execute("SELECT status FROM conditions WHERE id = ?", (int(id),)).fetchone()
        if row is None:
            raise NotFoundError(f"id: no condition {id}")
        return False

    @writes
    def end_for_position(
        self,
        venue: str,
        account: str,
        market: str,
        *,
        fired_ids: Iterable[int],
        price: float | None,
        reason: str,
        ts: float | None = None,
        keep_ids: Iterable[int] = (),
    ) -> tuple[list[int], list[int]]:
        """A position ended: mark `fired_ids` fired at `price`, and cancel every other armed exit
        (take-profit, stop-loss, trailing stop) of that position. Entry conditions stay armed.

        Conditions stored without a venue ("") count as the position's too, so none outlives it.
        Only armed conditions change (the first outcome wins). Runs inside the caller's transaction
        when there is one (so it commits with the close record). Returns (fired ids, cancelled ids).
        """
        venue, account, market = v.text("venue", venue), v.text("account", account), v.text("market", market)
        fired = sorted({int(i) for i in fired_ids})
        if fired and price is None:
            raise ValueError("price: a fired condition needs the price that fired it")
        _price("price", price)
        when = time.time() if ts is None else v.finite("ts", ts)
        with self._store.transaction() as store:
            done: list[int] = []
            for cid in fired:
                cursor = store.conn.execute(
                    "UPDATE conditions SET status = 'fired', fired_price = ?, fired_at = ?, reason = ? "
                    "WHERE id = ? AND status = 'armed'",
                    (price, when, reason, cid),
                )
                if cursor.rowcount == 1:
                    done.append(cid)
            rows = store.conn.execute(
                "SELECT id FROM conditions WHERE status = 'armed' AND kind != 'entry' AND venue IN (?, '') "
                "AND account = ? AND market = ? ORDER BY id",
                (venue, account, market),
            ).fetchall()
            # Exits staged by an order still in flight (or the one that made this fill) belong to
            # the position that order opens, not to the one that ended.
            keep = {int(i) for i in keep_ids}
            cancelled = [int(r["id"]) for r in rows if int(r["id"]) not in keep]
            store.conn.executemany(
                "UPDATE conditions SET status = 'cancelled', reason = ? WHERE id = ? AND status = 'armed'",
                [(reason, cid) for cid in cancelled],
            )
        return done, cancelled
