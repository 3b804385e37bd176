"""The schema as a list of forward migrations; migration N (1-based) takes a database from version N-1 to N.

Never edit a released migration: databases in the wild were built by it. Add a new one instead.
Each runs inside one transaction together with the schema_version row that records it, so a
crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def _run(db: sqlite_utils.Database, statements: str) -> None:
    # One statement at a time: executescript() would COMMIT the surrounding migration transaction.
    for statement in statements.split(";"):
        if statement.strip():
            db.execute(statement)


V1_CORE = """
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    venue TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE TABLE settings (
    account TEXT PRIMARY KEY REFERENCES accounts(name) ON DELETE CASCADE,
    data TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL REFERENCES accounts(name),
    venue TEXT NOT NULL,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    order_type TEXT NOT NULL,
    price REAL,
    leverage REAL NOT NULL,
    reduce_only INTEGER NOT NULL,
    status TEXT NOT NULL,
    venue_order_id TEXT,
    filled_size REAL NOT NULL DEFAULT 0,
    avg_fill_price REAL,
    reason TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX idx_orders_status ON orders(status);
CREATE INDEX idx_orders_account ON orders(account, id);
CREATE TABLE fills (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts(name),
    venue TEXT NOT NULL,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    price REAL NOT NULL,
    fee REAL NOT NULL,
    ts REAL NOT NULL,
    maker INTEGER NOT NULL,
    liquidation INTEGER NOT NULL
);
CREATE INDEX idx_fills_client_id ON fills(client_id);
CREATE TABLE trades (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    venue TEXT NOT NULL,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    entry_price REAL NOT NULL,
    exit_price REAL NOT NULL,
    realized_pnl REAL NOT NULL,
    fees REAL NOT NULL,
    opened_at REAL NOT NULL,
    closed_at REAL NOT NULL
);
CREATE INDEX idx_trades_closed_at ON trades(closed_at);
CREATE TABLE position_snapshots (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    ts REAL NOT NULL
);
CREATE INDEX idx_position_snapshots_account ON position_snapshots(account, ts);
CREATE TABLE snapshot_positions (
    snapshot_id INTEGER NOT NULL REFERENCES position_snapshots(id) ON DELETE CASCADE,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    entry_price REAL NOT NULL,
    mark REAL NOT NULL,
    leverage REAL NOT NULL,
    unrealized_pnl REAL NOT NULL,
    PRIMARY KEY (snapshot_id, market)
);
CREATE TABLE conditions (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    market TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('entry', 'take_profit', 'stop_loss', 'trailing_stop')),
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('armed', 'fired', 'cancelled')),
    created_at REAL NOT NULL,
    fired_at REAL,
    fired_price REAL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_conditions_status ON conditions(status, account, market);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error', 'critical')),
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT '',
    market TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_alerts_account ON alerts(account, id);
CREATE TABLE equity (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    ts REAL NOT NULL,
    equity REAL NOT NULL,
    free_collateral REAL NOT NULL
);
CREATE INDEX idx_equity_account_ts ON equity(account, ts)
"""


def _v1_core(db: sqlite_utils.Database) -> None:
    _run(db, V1_CORE)


V2_AUDIT_AND_PAPER = """
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    account TEXT NOT NULL,
    market TEXT NOT NULL,
    rule TEXT NOT NULL,
    price REAL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_decisions_account ON decisions(account, id);
CREATE TABLE paper_accounts (
    account TEXT PRIMARY KEY,
    balance REAL,
    updated_at REAL NOT NULL
);
CREATE TABLE paper_positions (
    account TEXT NOT NULL REFERENCES paper_accounts(account) ON DELETE CASCADE,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    entry_price REAL NOT NULL,
    leverage REAL NOT NULL,
    collateral REAL NOT NULL,
    realized_pnl REAL NOT NULL,
    opened_at REAL NOT NULL,
    PRIMARY KEY (account, market)
);
CREATE TABLE paper_orders (
    client_id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES paper_accounts(account) ON DELETE CASCADE,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    order_type TEXT NOT NULL,
    price REAL,
    leverage REAL NOT NULL,
    reduce_only INTEGER NOT NULL,
    status TEXT NOT NULL,
    venue_order_id TEXT,
    filled_size REAL NOT NULL,
    avg_fill_price REAL,
    reason TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX idx_paper_orders_account ON paper_orders(account, status)
"""


def _v2_audit_and_paper(db: sqlite_utils.Database) -> None:
    _run(db, V2_AUDIT_AND_PAPER)


def _v3_journal(db: sqlite_utils.Database) -> None:
    """Trades learn why they closed and which order closed them; indexes for the filtered journal pages."""
    trades = db.table("trades")
    columns = trades.columns_dict
    if "close_reason" not in columns:
        trades.add_column("close_reason", str, not_null_default="")
    if "client_id" not in columns:
        trades.add_column("client_id", str, not_null_default="")
    # closed_at is the last key column and rowid (the id) is implicit after it, so each index
    # serves "newest first" pages and the (closed_at, id) keyset cursor without a sort.
    trades.create_index(["account", "closed_at"], index_name="idx_trades_account_closed", if_not_exists=True)
    trades.create_index(["market", "closed_at"], index_name="idx_trades_market_closed", if_not_exists=True)
    trades.create_index(
        ["account", "market", "closed_at"], index_name="idx_trades_account_market_closed", if_not_exists=True
    )
    db.table("orders").create_index(["market", "id"], index_name="idx_orders_market", if_not_exists=True)


V4_TRAILING = """
CREATE TABLE trailing_extremes (
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    opened_at REAL NOT NULL,
    extreme REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (account, market)
)
"""


def _v4_trailing(db: sqlite_utils.Database) -> None:
    """Trailing stops keep their best price across restarts (a restart must not loosen a stop)."""
    _run(db, V4_TRAILING)


def _v5_paper_entry_fees(db: sqlite_utils.Database) -> None:
    """Opening fees still owed to an open paper position, so a close after a restart reports them."""
    db.execute("ALTER TABLE paper_positions ADD COLUMN entry_fees REAL NOT NULL DEFAULT 0")


V6_VENUE_LEDGER = """
ALTER TABLE orders ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN trigger_price REAL;
ALTER TABLE accounts ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN fill_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX idx_fills_venue_fill_id ON fills(venue, fill_id) WHERE fill_id != '';
CREATE INDEX idx_fills_venue_account_ts ON fills(venue, account, ts);
ALTER TABLE trades ADD COLUMN fill_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX idx_trades_venue_fill_id ON trades(venue, fill_id) WHERE fill_id != '';
CREATE TABLE funding (
    id INTEGER PRIMARY KEY,
    venue TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts(name),
    market TEXT NOT NULL,
    amount REAL NOT NULL,
    daily_rate REAL,
    ts REAL NOT NULL,
    funding_id TEXT NOT NULL CHECK (funding_id != ''),
    UNIQUE (venue, funding_id)
);
CREATE INDEX idx_funding_account ON funding(account, venue, ts);
CREATE TABLE ledger_positions (
    venue TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts(name),
    market TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('long', 'short')),
    size REAL NOT NULL,
    entry_price REAL NOT NULL,
    leverage REAL NOT NULL,
    entry_fees REAL NOT NULL DEFAULT 0,
    opened_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (venue, account, market)
);
ALTER TABLE conditions ADD COLUMN venue TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_conditions_position ON conditions(venue, account, market, status);
CREATE TABLE trailing_extremes_v6 (
    venue TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    opened_at REAL NOT NULL,
    extreme REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (venue, account, market)
);
INSERT INTO trailing_extremes_v6 (venue, account, market, side, opened_at, extreme, updated_at)
    SELECT '', account, market, side, opened_at, extreme, updated_at FROM trailing_extremes;
DROP TABLE trailing_extremes;
ALTER TABLE trailing_extremes_v6 RENAME TO trailing_extremes
"""


def _v6_venue_ledger(db: sqlite_utils.Database) -> None:
    """Remote venues: why an order was sent, idempotent fills/trades/funding keyed by the venue's ids,
    the journal's own open positions, venue-scoped conditions and trailing marks, hidden accounts.
    Rows from before keep venue '' (conditions, trailing marks) and fill_id '' (never deduplicated)."""
    _run(db, V6_VENUE_LEDGER)


V7_PAPER_HISTORY = """
CREATE TABLE paper_fills (
    fill_id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES paper_accounts(account) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    size REAL NOT NULL,
    price REAL NOT NULL,
    fee REAL NOT NULL,
    ts REAL NOT NULL,
    maker INTEGER NOT NULL,
    liquidation INTEGER NOT NULL
);
CREATE INDEX idx_paper_fills_account_ts ON paper_fills(account, ts);
CREATE TABLE paper_funding (
    funding_id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES paper_accounts(account) ON DELETE CASCADE,
    market TEXT NOT NULL,
    amount REAL NOT NULL,
    daily_rate REAL NOT NULL,
    ts REAL NOT NULL
);
CREATE INDEX idx_paper_funding_account_ts ON paper_funding(account, ts)
"""


def _v7_paper_history(db: sqlite_utils.Database) -> None:
    """The paper venue's own fill and funding history, so the journal can rebuild what a crash made it miss."""
    _run(db, V7_PAPER_HISTORY)


V8_APP_META = """
CREATE TABLE app_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL
)
"""


def _v8_app_meta(db: sqlite_utils.Database) -> None:
    """Facts about the app itself (when it last ran, for the "while you were away" report)."""
    _run(db, V8_APP_META)


def _v9_alert_only_conditions(db: sqlite_utils.Database) -> None:
    """A condition the user explicitly chose to only alert on (never trade). Older rows were
    attached exits and entries, which execute: they default to 0."""
    db.execute("ALTER TABLE conditions ADD COLUMN alert_only INTEGER NOT NULL DEFAULT 0")


V10_CANDLES = """
CREATE TABLE candles (
    venue TEXT NOT NULL,
    market TEXT NOT NULL,
    timeframe INTEGER NOT NULL,
    ts REAL NOT NULL,
    open REAL NOT NULL,
    high REAL NOT NULL,
    low REAL NOT NULL,
    close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (venue, market, timeframe, ts)
) WITHOUT ROWID
"""


def _v10_candles(db: sqlite_utils.Database) -> None:
    """Price history for the chart (candles per venue, market and timeframe in seconds), so it
    survives a restart. Keyed for the chart's one query: the newest N bars of one series."""
    _run(db, V10_CANDLES)


MIGRATIONS: list[Migration] = [
    _v1_core, _v2_audit_and_paper, _v3_journal, _v4_trailing, _v5_paper_entry_fees, _v6_venue_ledger,
    _v7_paper_history, _v8_app_meta, _v9_alert_only_conditions, _v10_candles,
]  # fmt: skip
LATEST_VERSION = len(MIGRATIONS)
