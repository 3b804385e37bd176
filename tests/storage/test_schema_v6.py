"""Migration v6 on a file left by version 5: every row kept, new columns at their defaults, new tables usable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from grace_desktop.domain.enums import OrderStatus, Side
from grace_desktop.domain.models import Fill
from grace_desktop.storage import DB_FILENAME, LATEST_VERSION, LedgerPosition, TradeRecord, open_storage
from grace_desktop.storage.schema import MIGRATIONS
from grace_desktop.storage.trailing import TrailingMark

V5_ROWS = """
INSERT INTO accounts VALUES ('old', 'paper', 1.0);
INSERT INTO orders (client_id, account, venue, market, side, size, order_type, price, leverage, reduce_only, status,
                    reason, created_at, updated_at)
    VALUES ('o-1', 'old', 'paper', 'SOL-PERP', 'buy', 2, 'market', NULL, 3, 0, 'intent', '', 5, 5);
INSERT INTO fills (client_id, account, venue, market, side, size, price, fee, ts, maker, liquidation)
    VALUES ('o-1', 'old', 'paper', 'SOL-PERP', 'buy', 1, 20, 0.01, 6, 0, 0),
           ('o-1', 'old', 'paper', 'SOL-PERP', 'buy', 1, 20, 0.01, 6, 0, 0);
INSERT INTO trades (account, venue, market, side, size, entry_price, exit_price, realized_pnl, fees, opened_at,
                    closed_at, close_reason, client_id)
    VALUES ('old', 'paper', 'SOL-PERP', 'long', 2, 20, 22, 4, 0.25, 6, 9, 'take_profit', 'o-2');
INSERT INTO conditions (account, market, kind, params, status, created_at)
    VALUES ('old', 'SOL-PERP', 'stop_loss', '{"price": 18.0}', 'armed', 7);
INSERT INTO trailing_extremes VALUES ('old', 'SOL-PERP', 'long', 6, 23.5, 8);
INSERT INTO paper_accounts VALUES ('old', 1000, 1);
INSERT INTO paper_positions VALUES ('old', 'SOL-PERP', 'long', 2, 20, 3, 13.3, 0, 6, 0.02)
"""


def _v5_file(folder: Path) -> Path:
    """A database built by running only migrations 1-5, as the previous release left it."""
    path = folder / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
    for version, migration in enumerate(MIGRATIONS[:5], start=1):
        migration(db)
        conn.execute("INSERT INTO schema_version VALUES (?, 0)", (version,))
    for statement in V5_ROWS.split(";"):
        conn.execute(statement)
    conn.close()
    return path


def test_v5_file_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    _v5_file(tmp_path)
    with open_storage(tmp_path) as store:
        assert store.schema_version == LATEST_VERSION >= 6
        assert store.query_one("PRAGMA foreign_key_check") is None
        [account] = store.accounts.list()
        assert (account.name, account.venue, account.internal) == ("old", "paper", False)
        record = store.orders.get("o-1")
        assert (record.purpose, record.order.status) == ("", OrderStatus.INTENT)
        assert [r.order.client_id for r in store.orders.unresolved()] == ["o-1"]
        # Fills from before have no fill_id: both kept, neither deduplicated.
        assert [f.fill_id for f in store.fills.for_order("o-1")] == ["", ""]
        [trade] = store.trades.page()
        assert (trade.fill_id, trade.realized_pnl, trade.close_reason) == ("", 4.0, "take_profit")
        assert store.trades.net("paper", "old") == 3.75
        [cond] = store.conditions.armed()
        assert (cond.venue, cond.kind, cond.params) == ("", "stop_loss", {"price": 18.0})
        mark = TrailingMark("old", "SOL-PERP", Side.LONG, 6.0, 23.5, 8.0, venue="")
        assert store.trailing.get("old", "SOL-PERP") == mark == store.trailing.get("", "old", "SOL-PERP")
        assert store.paper.load("old").entry_fees == {"SOL-PERP": 0.02}
        pk = [r["name"] for r in store.query("PRAGMA table_info(trailing_extremes)") if r["pk"]]
        assert pk == ["venue", "account", "market"]
        assert {"idx_fills_venue_fill_id"} <= {r["name"] for r in store.query("PRAGMA index_list(fills)")}
        assert {"idx_conditions_position"} <= {r["name"] for r in store.query("PRAGMA index_list(conditions)")}

        # The new tables and columns work on the migrated file.
        assert store.fills.record(Fill("o-1", "SOL-PERP", "buy", 1.0, 21.0, 0.01, 10.0, fill_id="f-1"), "old", "paper")
        assert not store.fills.record(Fill("o-1", "SOL-PERP", "buy", 1.0, 21.0, 0.01, 10.0, fill_id="f-1"), "old",
                                      "paper")
        store.trades.record(TradeRecord("old", "SOL-PERP", "long", 1.0, 20.0, 21.0, 1.0, 0.1, 6.0, 10.0,
                                        fill_id="f-1"))
        assert store.funding.record("paper", "old", "SOL-PERP", -0.5, 0.01, 11.0, "fund-1")
        store.ledger.put(LedgerPosition("paper", "old", "SOL-PERP", "long", 1.0, 20.0, 3.0, 0.01, 6.0, 10.0))
        store.trailing.put(TrailingMark("old", "SOL-PERP", Side.LONG, 6.0, 24.0, 12.0, venue="paper"))
        assert store.trailing.get("", "old", "SOL-PERP").extreme == 23.5  # the old row stays its own
        assert store.trailing.get("paper", "old", "SOL-PERP").extreme == 24.0
    with open_storage(tmp_path) as store:  # reopening migrates nothing more and keeps it all
        versions = [r[0] for r in store.query("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, LATEST_VERSION + 1))
        assert store.trades.totals().count == 2 and store.funding.total() == -0.5
        assert len(store.ledger.all()) == 1
