"""The threads behind Storage: one writer thread running write jobs in order, and one read-only
connection per reading thread (WAL lets those read while the writer writes, and never block it)."""

from __future__ import annotations

import itertools
import queue
import sqlite3
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from grace_desktop.storage.errors import StorageClosedError

_Job = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class WriterThread:
    """Runs submitted calls one at a time, first in first out, on a thread of its own.

    `translate` turns an exception raised by a job into the one its caller sees (SQLITE_FULL
    becomes StorageFullError). `on_start` runs first on the new thread (Storage hands it the
    write connection there).
    """

    def __init__(
        self, name: str, translate: Callable[[BaseException], BaseException], on_start: Callable[[], None]
    ) -> None:
        # (priority, sequence, job): urgent jobs (a protective close's intent) go before queued ones;
        # within a priority, first in first out. None (priority 2) stops the thread after the rest.
        self._jobs: queue.PriorityQueue[tuple[int, int, _Job | None]] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._translate = translate
        self._on_start = on_start
        self._started = threading.Event()
        self._stopping = False
        self._submit_lock = threading.Lock()  # so no job slips in behind the stop marker
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    @property
    def ident(self) -> int | None:
        return self._thread.ident

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        return self.submit_job(False, fn, args, kwargs)

    def submit_job(self, urgent: bool, fn: Callable[..., Any], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._submit_lock:
            if self._stopping:
                raise StorageClosedError("the database is closed")
            self._jobs.put((0 if urgent else 1, next(self._seq), (future, fn, args, kwargs)))
        return future

    def stop(self) -> None:
        """Run every job already submitted, then end the thread (refusing new ones from now on)."""
        with self._submit_lock:
            if self._stopping:
                return
            self._stopping = True
            self._jobs.put((2, next(self._seq), None))
        if threading.get_ident() != self._thread.ident:
            self._thread.join()

    def _run(self) -> None:
        self._on_start()
        self._started.set()
        while (job := self._jobs.get()[2]) is not None:
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the caller, never kills the thread
                future.set_exception(self._translate(exc))
            else:
                future.set_result(result)
            del job, future, fn, args, kwargs  # drop references to the job's data while idle


class ReaderConnections:
    """One read-only connection per thread that reads, created on first use, all closed by close_all()."""

    def __init__(self, path: Path, timeout: float) -> None:
        self._uri = path.resolve().as_uri() + "?mode=ro"
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._closed = False

    def get(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not self._closed:
            return conn
        with self._lock:
            if self._closed:
                raise StorageClosedError("the database is closed")
            # check_same_thread=False only so close_all() may close it from the closing thread.
            conn = sqlite3.connect(
                self._uri, uri=True, check_same_thread=False, isolation_level=None, timeout=self._timeout
            )
            try:
                conn.execute("PRAGMA query_only = 1")
                conn.execute("PRAGMA cache_size = -8192")
            except BaseException:
                conn.close()
                raise
            conn.row_factory = sqlite3.Row
            self._prune()
            self._open.append((weakref.ref(threading.current_thread()), conn))
        self._local.conn = conn
        return conn

    def _prune(self) -> None:
        """Close the connections of threads that have ended (a pool that replaced its workers)."""
        alive = []
        for ref, conn in self._open:
            thread = ref()
            if thread is not None and thread.is_alive():
                alive.append((ref, conn))
            else:
                conn.close()
        self._open = alive

    def interrupt_all(self) -> None:
        """Make every running read stop with an error (used before close: an export must not hold it up)."""
        with self._lock:
            for _, conn in self._open:
                try:
                    conn.interrupt()
                except sqlite3.ProgrammingError:
                    pass

    def close_all(self) -> None:
        with self._lock:
            self._closed = True
            for _, conn in self._open:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._open = []
