"""The Storage object: one writer thread owns the write connection; every other thread reads on
a read-only connection of its own (WAL), so a long read never blocks a write nor waits for one.

Threads, in short:
- `await store.write(fn, ...)` runs fn on the writer thread (fn calls repository methods, possibly
  inside `with store.transaction():` for several writes at once) and returns its result.
- `await store.read(fn, ...)` runs fn on a pool of two reader threads.
- Sync repository calls work from any thread: reads use the calling thread's read-only
  connection; writes are handed to the writer thread and waited for.
- `with store.transaction():` on the writer thread nests as savepoints. Called elsewhere (tests,
  scripts) it borrows the write connection: the writer thread waits until the block ends, so
  writes stay one at a time. Never `await` inside it.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlite_utils

from grace_desktop.storage.accounts import AccountRepository, SettingsRepository
from grace_desktop.storage.activity import AlertRepository, DecisionRepository, EquityRepository, PositionRepository
from grace_desktop.storage.app_settings import AppSettingsRepository
from grace_desktop.storage.candles import CandleRepository
from grace_desktop.storage.conditions import ConditionRepository
from grace_desktop.storage.errors import (
    SchemaTooNewError,
    StorageClosedError,
    StorageError,
    StorageFullError,
    is_disk_full,
)
from grace_desktop.storage.file_check import prepare_database_file, stamp_application_id
from grace_desktop.storage.funding import FundingRepository
from grace_desktop.storage.instance_lock import InstanceLock
from grace_desktop.storage.journal import TradeRepository
from grace_desktop.storage.ledger import LedgerRepository
from grace_desktop.storage.meta import MetaRepository
from grace_desktop.storage.orders import FillRepository, OrderRepository
from grace_desktop.storage.paper import PaperRepository
from grace_desktop.storage.paths import DB_FILENAME, resolve_data_dir
from grace_desktop.storage.recap import RecapRepository
from grace_desktop.storage.schema import LATEST_VERSION, MIGRATIONS
from grace_desktop.storage.threads import ReaderConnections, WriterThread
from grace_desktop.storage.trailing import TrailingRepository

BUSY_TIMEOUT_S = 10.0
READER_THREADS = 2
_savepoints = itertools.count(1)
P = ParamSpec("P")
T = TypeVar("T")


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
        # The thread allowed to use the write connection: this one while migrating, then the writer.
        self._owner = threading.get_ident()
        self._closed = False
        self._close_lock = threading.Lock()
        self._pool_lock = threading.Lock()
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
        self.app_settings = AppSettingsRepository(self)
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
        self.funding = FundingRepository(self)
        self.ledger = LedgerRepository(self)
        self.meta = MetaRepository(self)
        self.recap = RecapRepository(self)
        self.candles = CandleRepository(self)
        self._readers = ReaderConnections(self.path, BUSY_TIMEOUT_S)
        self._reader_pool: ThreadPoolExecutor | None = None
        self._writer = WriterThread(f"grace-db-writer:{self.path.name}", self._translate, self._take_ownership)
        self._writer.start()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return _read_version(self._read_conn())

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Run the writes already handed over, then close every connection. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            if self._owns_writer():  # the writer (or a borrower) would wait for itself
                raise StorageError("close() cannot run inside a write job or a transaction")
            self._writer.stop()  # drains: every write submitted before this point is done
            with self._pool_lock:
                self._closed = True
                pool, self._reader_pool = self._reader_pool, None
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            self._readers.interrupt_all()  # a running export ends now instead of holding close up
            if pool is not None:
                pool.shutdown(wait=True)
            self._readers.close_all()
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

    # -- threads -------------------------------------------------------------------------------

    def _take_ownership(self) -> None:
        self._owner = threading.get_ident()

    def _owns_writer(self) -> bool:
        return threading.get_ident() == self._owner

    def _translate(self, exc: BaseException) -> BaseException:
        if is_disk_full(exc) and not isinstance(exc, StorageFullError):
            full = StorageFullError(self.path, str(exc))
            full.__cause__ = exc
            return full
        return exc

    async def write(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn on the writer thread and return its result (or raise its exception).

        A write handed over always runs: cancelling the awaiting task stops only the waiting.
        """
        future: Future[T] = self._writer.submit(fn, *args, **kwargs)
        return await asyncio.shield(asyncio.wrap_future(future))

    async def write_first(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """write(), ahead of the writes already queued (not of one running): for a protective close's
        intent, which must be durable before the close is sent and must not wait behind journaling."""
        future: Future[T] = self._writer.submit_job(True, fn, args, kwargs)
        return await asyncio.shield(asyncio.wrap_future(future))

    async def read(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn on a reader thread (its own read-only connection): never waits for the writer."""
        with self._pool_lock:
            if self._closed:
                raise StorageClosedError(f"{self.path} is closed")
            if self._reader_pool is None:
                self._reader_pool = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="grace-db-read")
            pool = self._reader_pool
        return await asyncio.wrap_future(pool.submit(fn, *args, **kwargs))

    def write_later(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue fn on the writer thread and return at once (a concurrent Future): for writes nobody
        waits for, such as an alert already shown. Ordered with every other write (first in, first out)."""
        if self._owns_writer():
            done: Future[T] = Future()
            try:
                done.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                done.set_exception(self._translate(exc))
            return done
        return self._writer.submit(fn, *args, **kwargs)

    def run_write(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """The sync form of write(): runs fn here if this thread holds the write connection, else on the
        writer thread, waiting for it."""
        if self._owns_writer():
            return fn(*args, **kwargs)
        return self._writer.submit(fn, *args, **kwargs).result()

    @contextmanager
    def _borrowed(self) -> Iterator[None]:
        """Hold the write connection on this thread while the writer thread waits in line for it."""
        me = threading.get_ident()
        granted, done = threading.Event(), threading.Event()

        def lend() -> None:
            self._owner = me
            granted.set()
            done.wait()
            self._owner = threading.get_ident()

        job = self._writer.submit(lend)
        while not granted.wait(0.05):
            if job.done():
                job.result()  # the writer went away: raise why
                raise StorageClosedError(f"{self.path} is closed")
        try:
            yield
        finally:
            done.set()
            job.result()  # ownership is back with the writer before this thread writes again

    def _read_conn(self) -> sqlite3.Connection:
        if self._owns_writer():
            return self.conn  # sees this thread's own uncommitted writes
        if self._closed:
            raise StorageClosedError(f"{self.path} is closed")
        return self._readers.get()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that see one state: a read transaction on this thread's read-only connection."""
        conn = self._read_conn()
        if conn is self.conn or conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    @property
    def _lock(self) -> Any:
        """Old name of snapshot(), still used by some repositories: `with store._lock:`."""
        return self.snapshot()

    # -- transactions and queries used by the repositories ------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Storage]:
        """Several writes at once: all or nothing. Nests (inner blocks become savepoints)."""
        if not self._owns_writer():
            with self._borrowed(), self.transaction() as store:
                yield store
            return
        conn = self.conn
        if conn.in_transaction:
            name = f"sp_{next(_savepoints)}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                # SQLite may already have rolled the whole transaction back (SQLITE_FULL does).
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        try:
            # IMMEDIATE takes the write lock up front, so two connections never deadlock
            # upgrading read locks; readers in WAL mode are not blocked by it.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if not conn.in_transaction:
                raise StorageError("the transaction was rolled back by an earlier error inside it")
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            if is_disk_full(exc):
                raise StorageFullError(self.path, str(exc)) from exc
            raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._read_conn().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        cursor = self._read_conn().execute(sql, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()  # an unfinished statement would pin this connection's snapshot

    def query_iter(self, sql: str, params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        """Rows one at a time (exports): memory stays flat, and on a read-only connection nobody waits."""
        cursor = self._read_conn().execute(sql, params)
        try:
            yield from cursor
        finally:
            cursor.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One write statement in its own transaction (or the caller's), on the writer thread."""
        return self.run_write(self._execute_now, sql, params)

    def _execute_now(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        with self.transaction():
            return self.conn.execute(sql, params)

    def ensure_account(self, name: str, venue: str = "", *, internal: bool = False) -> None:
        """Make sure the accounts row a foreign key points at exists; fill in a venue learned later.

        `internal` marks it as the app's own (hidden from the user's list); it is never unset here.
        """
        self.execute(
            "INSERT INTO accounts (name, venue, created_at, internal) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET venue = CASE WHEN accounts.venue = '' THEN excluded.venue "
            "ELSE accounts.venue END, internal = MAX(accounts.internal, excluded.internal) "
            "WHERE (accounts.venue = '' AND excluded.venue != '') OR excluded.internal > accounts.internal",
            (name, venue, time.time(), int(internal)),
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

