"""Armed conditions (entries and exits) and what became of them: fired at a price, or cancelled."""

from __future__ import annotations

import json
import math
import sqlite3
import time

from grace_desktop.storage.base import Repository
from grace_desktop.storage.errors import NotFoundError
from grace_desktop.storage.records import CONDITION_STATUSES, ConditionRecord


def _row_to_condition(r: sqlite3.Row) -> ConditionRecord:
    return ConditionRecord(
        account=r["account"], market=r["market"], kind=r["kind"], params=json.loads(r["params"]),
        status=r["status"], id=r["id"], created_at=r["created_at"], fired_at=r["fired_at"],
        fired_price=r["fired_price"], reason=r["reason"],
    )  # fmt: skip


class ConditionRepository(Repository):
    def add(self, cond: ConditionRecord) -> int:
        """Store a new condition as armed; returns its id."""
        if not isinstance(cond, ConditionRecord):
            raise ValueError(f"cond: expected a ConditionRecord, got {type(cond).__name__}")
        try:
            params = json.dumps(cond.params, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"params: not storable as JSON ({exc})") from None
        with self._store.transaction() as store:
            store.ensure_account(cond.account)
            cursor = store.conn.execute(
                "INSERT INTO conditions (account, market, kind, params, status, created_at, reason) "
                "VALUES (?, ?, ?, ?, 'armed', ?, ?)",
                (cond.account, cond.market, cond.kind, params, cond.created_at or time.time(), cond.reason),
            )
            return int(cursor.lastrowid)

    def armed(self, account: str | None = None, market: str | None = None) -> list[ConditionRecord]:
        sql = "SELECT * FROM conditions WHERE status = 'armed'"
        params: list[object] = []
        for column, value in (("account", account), ("market", market)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [_row_to_condition(r) for r in self._store.query(sql + " ORDER BY id", params)]

    def get(self, id: int) -> ConditionRecord | None:
        row = self._store.query_one("SELECT * FROM conditions WHERE id = ?", (int(id),))
        return None if row is None else _row_to_condition(row)

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
        if fired_price is not None and (isinstance(fired_price, bool) or not math.isfinite(fired_price)):
            raise ValueError(f"fired_price: must be a finite price, got {fired_price!r}")
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
