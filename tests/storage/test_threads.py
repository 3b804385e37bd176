"""One writer thread, read-only connections per reading thread: who runs where, and who waits for whom."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grace_desktop.domain.enums import Side
from grace_desktop.storage import AlertRecord, Storage, StorageClosedError, StorageError, TradeRecord, open_storage
from grace_desktop.storage.paths import DB_FILENAME

EXPORT_ROWS = 300_000  # the export that blocked an alert write for 8 s before the writer thread
QUICK_ROWS = 60_000  # enough for a running export to overlap the writes, in the quick suite


def _alert(title: str = "stop-loss fired") -> AlertRecord:
    return AlertRecord(time.time(), "warning", title, "SOL-PERP closed at 95.0", "paper", "SOL-PERP")


def _trades(n: int) -> Iterator[TradeRecord]:
    for i in range(n):
        pnl = float(i % 7) - 3.0
        yield TradeRecord(
            "paper", "SOL-PERP", Side.LONG, 1.0, 100.0, 100.0 + pnl, pnl, 0.05, float(i), float(i) + 30.0,
            close_reason="take_profit", client_id=f"c{i}",
        )  # fmt: skip


_DBS: dict[int, Path] = {}


def _big_db(tmp_path_factory: pytest.TempPathFactory, rows: int) -> Path:
    """A closed database file holding `rows` trades, built once per size and copied by each test."""
    if rows in _DBS:
        return _DBS[rows]
    folder = tmp_path_factory.mktemp(f"trades{rows}")
    with open_storage(folder) as store:
        store.trades.record_many(_trades(1_000))
        with store.transaction():  # the rest in SQL: 300k TradeRecords would only slow the setup down
            store.conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO trades (account, venue, market, side, size, entry_price, exit_price, realized_pnl, "
                "fees, opened_at, closed_at, close_reason, client_id) SELECT 'paper', 'paper', 'SOL-PERP', 'long', "
                "1.0, 100.0, 100.0 + (i % 7) - 3.0, (i % 7) - 3.0, 0.05, i, i + 30.0, 'take_profit', 'c' || i FROM n",
                (rows - 1,),
            )
        assert store.trades.totals().count == rows
    _DBS[rows] = folder / DB_FILENAME
    return _DBS[rows]


@pytest.fixture(params=[QUICK_ROWS, pytest.param(EXPORT_ROWS, marks=pytest.mark.slow)])
def big_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
              ) -> Iterator[Storage]:
    shutil.copy(_big_db(tmp_path_factory, request.param), tmp_path / DB_FILENAME)
    store = open_storage(tmp_path)
    yield store
    store.close()


async def test_a_write_does_not_wait_for_a_trade_export(big_store: Storage, tmp_path: Path) -> None:
    rows = big_store.trades.totals().count
    target = tmp_path / "trades.csv"
    part = target.with_name(target.name + ".part")
    export = asyncio.ensure_future(big_store.read(big_store.trades.export_csv, target))
    while not (part.exists() and part.stat().st_size > 100_000):  # the reader is streaming rows
        assert not export.done(), export
        await asyncio.sleep(0.005)
    timings = []
    for i in range(10):
        started = time.perf_counter()
        await big_store.write(big_store.alerts.record, _alert(f"alert {i}"))
        timings.append(time.perf_counter() - started)
    still_exporting = not export.done()
    assert await export == rows
    print(f"\nalert writes during a {rows:,}-row export: max {max(timings) * 1000:.1f} ms, "
          f"median {sorted(timings)[5] * 1000:.1f} ms (export still running: {still_exporting})")
    assert still_exporting, "the export ended before the writes: the test proved nothing"
    assert max(timings) < 1.0
    assert len(big_store.alerts.recent()) == 10
    with target.open() as handle:
        assert sum(1 for _ in handle) == rows + 1  # the snapshot it started on, plus the header


@pytest.mark.parametrize("big_store", [QUICK_ROWS], indirect=True)
async def test_close_interrupts_a_running_export_and_leaves_no_part_file(big_store: Storage, tmp_path: Path) -> None:
    target = tmp_path / "trades.csv"
    part = target.with_name(target.name + ".part")
    export = asyncio.ensure_future(big_store.read(big_store.trades.export_csv, target))
    while not (part.exists() and part.stat().st_size > 10_000):
        await asyncio.sleep(0.005)
    started = time.perf_counter()
    big_store.close()
    assert time.perf_counter() - started < 2.0
    with pytest.raises(sqlite3.Error):
        await export
    assert not part.exists() and not target.exists()


async def test_write_runs_on_the_writer_thread_and_read_on_a_reader(store: Storage) -> None:
    writer = await store.write(threading.current_thread)
    assert writer.name.startswith("grace-db-writer") and writer is not threading.current_thread()
    assert await store.write(threading.current_thread) is writer  # always the same one
    readers = {(await store.read(threading.current_thread)).name for _ in range(6)}
    assert readers and all(name.startswith("grace-db-read") for name in readers)
    # A repository write called on a plain thread is run by the writer too.
    seen: list[str] = []
    store.conn.set_trace_callback(lambda sql: seen.append(threading.current_thread().name))
    worker = threading.Thread(target=store.alerts.record, args=(_alert(),), name="plain")
    worker.start()
    worker.join(10)
    store.conn.set_trace_callback(None)
    assert seen and {name.split(":")[0] for name in seen} == {"grace-db-writer"}


async def test_write_returns_results_and_raises_errors(store: Storage) -> None:
    alert_id = await store.write(store.alerts.record, _alert())
    assert [a.id for a in await store.read(store.alerts.recent)] == [alert_id]
    with pytest.raises(ValueError, match="level"):
        await store.write(store.alerts.record, AlertRecord(1.0, "loud", "t", "x"))

    def two_trades_then_fail() -> None:
        with store.transaction():
            store.trades.record(next(_trades(1)))
            store.trades.record(next(_trades(1)))
            raise RuntimeError("second thoughts")

    with pytest.raises(RuntimeError, match="second thoughts"):
        await store.write(two_trades_then_fail)
    assert store.trades.totals().count == 0  # all or nothing


def test_reads_off_the_writer_thread_are_read_only(store: Storage) -> None:
    store.alerts.record(_alert())
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        store.query("DELETE FROM alerts")
    assert len(store.alerts.recent()) == 1


def test_a_thread_reads_its_own_writes_at_once(store: Storage) -> None:
    for i in range(50):
        alert_id = store.alerts.record(_alert(f"n{i}"))  # handed to the writer, committed on return
        assert store.alerts.recent(limit=1)[0].id == alert_id  # this thread's read-only connection sees it


def test_snapshot_keeps_several_reads_consistent(store: Storage) -> None:
    store.alerts.record(_alert())
    with store.snapshot():
        before = len(store.alerts.recent())
        other = threading.Thread(target=store.alerts.record, args=(_alert(),))
        other.start()
        other.join(10)
        assert len(store.alerts.recent()) == before == 1  # same state inside the block
    assert len(store.alerts.recent()) == 2


def test_transaction_off_the_writer_holds_other_writes_until_it_ends(store: Storage) -> None:
    done = threading.Event()

    def other_thread_write() -> None:
        store.alerts.record(_alert("queued"))
        done.set()

    with store.transaction():
        store.trades.record(next(_trades(1)))
        other = threading.Thread(target=other_thread_write)
        other.start()
        assert not done.wait(0.3), "a write ran in the middle of another thread's transaction"
        assert store.trades.totals().count == 1  # this thread sees its own uncommitted write
    assert done.wait(10)
    other.join(10)
    assert [a.title for a in store.alerts.recent()] == ["queued"] and store.trades.totals().count == 1


async def test_close_drains_pending_writes_then_refuses(data_dir: Path) -> None:
    store = open_storage(data_dir)
    gate = threading.Event()
    blocker = asyncio.ensure_future(store.write(gate.wait, 10))
    pending = [asyncio.ensure_future(store.write(store.alerts.record, _alert(f"a{i}"))) for i in range(20)]
    await asyncio.sleep(0.05)  # every task has handed its job over and waits behind `blocker`
    threading.Timer(0.2, gate.set).start()
    store.close()
    store.close()  # idempotent
    assert await blocker is True
    assert len(await asyncio.gather(*pending)) == 20
    with pytest.raises(StorageClosedError):
        await store.write(store.alerts.record, _alert())
    with pytest.raises(StorageClosedError):
        store.alerts.record(_alert())
    with pytest.raises(StorageClosedError):
        store.alerts.recent()
    with pytest.raises(StorageClosedError):
        await store.read(store.alerts.recent)
    with open_storage(data_dir) as reopened:
        assert len(reopened.alerts.recent()) == 20


async def test_cancelling_the_waiter_does_not_cancel_the_write(store: Storage) -> None:
    gate = threading.Event()
    blocker = asyncio.ensure_future(store.write(gate.wait, 10))
    waiter = asyncio.ensure_future(store.write(store.alerts.record, _alert("kept")))
    await asyncio.sleep(0.05)
    waiter.cancel()
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await blocker
    await store.write(lambda: None)  # runs after the cancelled-for job: the queue is in order
    assert [a.title for a in store.alerts.recent()] == ["kept"]


def test_connections_of_ended_threads_are_closed(store: Storage) -> None:
    for _ in range(5):
        thread = threading.Thread(target=store.alerts.recent)
        thread.start()
        thread.join(10)
    store.alerts.recent()  # opening this thread's connection prunes the ended threads' ones
    assert len(store._readers._open) == 1


def test_close_inside_a_transaction_is_refused_not_a_deadlock(store: Storage) -> None:
    with store.transaction():
        with pytest.raises(StorageError, match="close"):
            store.close()
    store.alerts.record(_alert())
    assert len(store.alerts.recent()) == 1


async def test_reads_do_not_wait_for_a_busy_writer(store: Storage) -> None:
    store.trades.record(next(_trades(1)))
    holding, release = threading.Event(), threading.Event()

    def long_transaction() -> None:
        with store.transaction():
            store.trades.record(next(_trades(1)))
            holding.set()
            release.wait(10)

    job = asyncio.ensure_future(store.write(long_transaction))
    assert await asyncio.to_thread(holding.wait, 5)
    started = time.perf_counter()
    count = (await store.read(store.trades.totals)).count
    elapsed = time.perf_counter() - started
    release.set()
    await job
    assert count == 1 and elapsed < 1.0  # the committed state, at once, while the writer holds its lock
    assert store.trades.totals().count == 2
