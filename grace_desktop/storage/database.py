"""The Storage object: one SQLite connection (WAL, foreign keys) shared by all repositories under an RLock."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from grace_desktop.storage.accounts import AccountRepository, SettingsRepository
from grace_desktop.storage.activity import AlertRepository, DecisionRepository, EquityRepository, PositionRepository
from grace_desktop.storage.conditions import ConditionRepository
from grace_desktop.storage.errors import SchemaTooNewError, StorageError
from grace_desktop.storage.file_check import prepare_database_file, stamp_application_id
from grace_desktop.storage.instance_lock import InstanceLock
from grace_desktop.storage.journal import TradeRepository
from grace_desktop.storage.orders import FillRepository, OrderRepository
from grace_desktop.storage.paper import PaperRepository
from grace_desktop.storage.trailing import TrailingRepository
from grace_desktop.storage.paths import DB_FILENAME, resolve_data_dir
from grace_desktop.storage.schema import LATEST_VERSION, MIGRATIONS

BUSY_TIMEOUT_S = 10.0
_savepoints = itertools.count(1)


def _read_version(conn: sqlite3.Connection) -> int:
    """The schema version, read without writing anything (0 for a new or foreign file)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


class Storage:
    """All persistent state. Every repository method is a short synchronous call; safe from any thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._instance_lock: InstanceLock | None = None  # open_storage's; released by close()
        prepare_database_file(self.path)  # refuses a foreign, damaged, newer or read-only file unwritten
        # isolation_level=None: the driver never opens transactions behind our back;
        # transaction() issues BEGIN/SAVEPOINT itself.
        conn = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
        )
        try:
            # Refuse a newer file before any PRAGMA or write touches it.
            found = _read_version(conn)
            if found > LATEST_VERSION:
                raise SchemaTooNewError(self.path, found, LATEST_VERSION)
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{self.path}: could not switch to WAL mode (got {mode!r})")
            # NORMAL is crash-safe in WAL mode (an app crash loses nothing committed);
            # only a power cut can drop the very last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -16384")
            conn.row_factory = sqlite3.Row
            self.conn = conn
            self.db = sqlite_utils.Database(conn, execute_plugins=False)
            self._migrate(found)
        except BaseException:
            conn.close()
            raise
        self.accounts = AccountRepository(self)
        self.settings = SettingsRepository(self)
        self.orders = OrderRepository(self)
        self.fills = FillRepository(self)
        self.trades = TradeRepository(self)
        self.positions = PositionRepository(self)
        self.conditions = ConditionRepository(self)
        self.alerts = AlertRepository(self)
        self.equity = EquityRepository(self)
        self.decisions = DecisionRepository(self)
        self.paper = PaperRepository(self)
        self.trailing = TrailingRepository(self)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        with self._lock:
            return _read_version(self.conn)

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass
            self.conn.close()
            if self._instance_lock is not None:
                self._instance_lock.release()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self, found: int) -> None:
        with self.transaction():
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            stamp_application_id(self.conn)
        for version in range(found + 1, LATEST_VERSION + 1):
            with self.transaction():
                MIGRATIONS[version - 1](self.db)
                self.conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, time.time())
                )
        if found < LATEST_VERSION:
            problems = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise StorageError(f"{self.path}: foreign key check failed after migration: {problems[:3]}")

    # -- transactions and queries used by the repositories ------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Storage]:
        """Several writes at once: all or nothing. Nests (inner blocks become savepoints)."""
        with self._lock:
            if self.conn.in_transaction:
                name = f"sp_{next(_savepoints)}"
                self.conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self
                except BaseException:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                    raise
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
                return
            # IMMEDIATE takes the write lock up front, so two connections never deadlock
            # upgrading read locks; readers in WAL mode are not blocked by it.
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self.conn.execute(sql, params).fetchone()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One write statement in its own transaction (or the caller's)."""
        with self.transaction():
            return self.conn.execute(sql, params)

    def ensure_account(self, name: str, venue: str = "") -> None:
        """Make sure the accounts row a foreign key points at exists; fill in a venue learned later."""
        self.execute(
            "INSERT INTO accounts (name, venue, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET venue = excluded.venue "
            "WHERE accounts.venue = '' AND excluded.venue != ''",
            (name, venue, time.time()),
        )


def open_storage(data_dir: str | Path | None = None, *, mode: str = "app") -> Storage:
    """Open (creating and migrating as needed) data_dir / grace.db; see resolve_data_dir for the folder.

    Takes the data dir's instance lock first (InstanceLockedError if another process has it),
    recording `mode` ("window", "headless", "self-test") for a refused second instance to name.
    """
    folder = resolve_data_dir(data_dir)
    lock = InstanceLock(folder, mode).acquire()
    try:
        store = Storage(folder / DB_FILENAME)
    except BaseException:
        lock.release()
        raise
    store._instance_lock = lock
    return store
