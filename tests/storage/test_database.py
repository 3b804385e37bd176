"""Opening, migrating and refusing database files; thread safety and WAL concurrency."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order, OrderRequest
from grace_desktop.storage import (
    DB_FILENAME,
    LATEST_VERSION,
    SchemaTooNewError,
    Storage,
    TradeRecord,
    open_storage,
    resolve_data_dir,
)
from grace_desktop.storage.errors import NotADatabaseError
from grace_desktop.storage.schema import V1_CORE


def _trade(closed_at: float, account: str = "paper", market: str = "BTC-PERP", pnl: float = 1.0) -> TradeRecord:
    return TradeRecord(account, market, "long", 1.0, 100.0, 101.0, pnl, 0.1, closed_at - 60, closed_at)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_data_dir_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GRACE_DESKTOP_DATA_DIR", raising=False)
    default = resolve_data_dir()
    assert default.is_dir() and str(default).startswith(str(tmp_path / "xdg"))
    monkeypatch.setenv("GRACE_DESKTOP_DATA_DIR", str(tmp_path / "from-env"))
    assert resolve_data_dir() == tmp_path / "from-env"
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert (tmp_path / "explicit").is_dir()
    with open_storage() as store:
        assert store.path == tmp_path / "from-env" / DB_FILENAME
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(NotADirectoryError, match="a-file"):
        resolve_data_dir(tmp_path / "a-file")


def test_new_database_is_wal_with_foreign_keys(store: Storage) -> None:
    assert store.schema_version == LATEST_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with store.transaction():
            store.conn.execute("INSERT INTO paper_positions (account, market, side, size, entry_price, leverage, "
                               "collateral, realized_pnl, opened_at) VALUES ('ghost', 'X', 'long', 1, 1, 1, 0, 0, 0)")


def test_reopen_keeps_everything(data_dir: Path) -> None:
    with open_storage(data_dir) as store:
        store.accounts.ensure("paper", "paper")
        store.settings.save("paper", store.settings.get("paper").updated(max_leverage=20.0))
        request = OrderRequest("paper", "BTC-PERP", "buy", 0.5, client_id="c-1")
        store.orders.record_intent(Order(request, OrderStatus.INTENT), "paper")
        trade_id = store.trades.record(_trade(1_000.0))
        store.equity.record("paper", 1.0, 10_000.0, 9_000.0)
    with open_storage(data_dir) as store:
        assert store.schema_version == LATEST_VERSION
        assert [a.name for a in store.accounts.list()] == ["paper"]
        assert store.settings.get("paper").max_leverage == 20.0
        assert store.orders.get("c-1").order.request == request
        assert [t.id for t in store.trades.page()] == [trade_id]
        assert store.equity.curve("paper") == [(1.0, 10_000.0)]


def test_migrates_a_version_1_file_and_keeps_its_data(tmp_path: Path) -> None:
    # Built by hand exactly as the first release left it: v1 tables and one schema_version row.
    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path)
    conn.executescript(V1_CORE)
    conn.executescript(
        """
        CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL);
        INSERT INTO schema_version VALUES (1, 0);
        INSERT INTO accounts VALUES ('old', 'paper', 1.0);
        INSERT INTO trades (account, venue, market, side, size, entry_price, exit_price, realized_pnl, fees,
                            opened_at, closed_at)
            VALUES ('old', 'paper', 'SOL-PERP', 'short', 3, 20, 18, 6, 0.05, 10, 20);
        """
    )
    conn.commit()
    conn.close()

    with open_storage(tmp_path) as store:
        assert store.schema_version == LATEST_VERSION
        [trade] = store.trades.page(account="old")
        assert (trade.market, trade.realized_pnl, trade.close_reason, trade.client_id) == ("SOL-PERP", 6.0, "", "")
        assert store.accounts.get("old").venue == "paper"
        # Tables and columns from later migrations work on the migrated file.
        store.trades.record(_trade(30.0, account="old"))
        store.decisions.record("old", "SOL-PERP", "stop_loss", 18.0, "close", "hit", 25.0)
        store.paper.save("old", balance=5.0)
        versions = [r[0] for r in store.conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, LATEST_VERSION + 1))
        indexes = {r[1] for r in store.conn.execute("PRAGMA index_list(trades)")}
        assert "idx_trades_account_market_closed" in indexes
    with open_storage(tmp_path) as store:  # reopening an up-to-date file migrates nothing
        assert len(store.trades.page(account="old")) == 2


@pytest.mark.parametrize("wal", [True, False])
def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path, wal: bool) -> None:
    path = tmp_path / DB_FILENAME
    if wal:
        with open_storage(tmp_path) as store:
            store.trades.record(_trade(5.0))
            store.conn.execute("INSERT INTO schema_version VALUES (?, 0)", (LATEST_VERSION + 1,))
    else:  # a rollback-journal file: switching it to WAL would already be a change
        conn = sqlite3.connect(path)
        conn.executescript(
            f"CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL);"
            f"INSERT INTO schema_version VALUES ({LATEST_VERSION + 7}, 0);"
        )
        conn.close()
    before = _digest(path)
    found = LATEST_VERSION + (1 if wal else 7)
    with pytest.raises(SchemaTooNewError, match=rf"schema version {found}.*up to version {LATEST_VERSION}") as info:
        open_storage(tmp_path)
    assert "untouched" in str(info.value) and str(path) in str(info.value)
    assert _digest(path) == before
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if wal else "delete")
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == found
    conn.close()


def test_writer_transaction_does_not_block_a_reader(data_dir: Path) -> None:
    writer_store = open_storage(data_dir)
    reader_store = open_storage(data_dir)
    try:
        writer_store.trades.record(_trade(1.0))
        holding, release = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def writer() -> None:
            try:
                with writer_store.transaction():
                    writer_store.trades.record(_trade(2.0))
                    holding.set()
                    release.wait(10)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        thread = threading.Thread(target=writer)
        thread.start()
        assert holding.wait(5)
        started = time.perf_counter()
        seen = reader_store.trades.page()
        elapsed = time.perf_counter() - started
        release.set()
        thread.join(10)
        assert not errors
        # The busy timeout is 10 s: a blocked reader would take that long or raise "database is locked".
        assert elapsed < 0.5, f"reader waited {elapsed:.3f}s for the writer"
        assert [t.closed_at for t in seen] == [1.0]  # the uncommitted trade is invisible
        assert [t.closed_at for t in reader_store.trades.page()] == [2.0, 1.0]
    finally:
        writer_store.close()
        reader_store.close()


def test_second_writer_waits_instead_of_failing(data_dir: Path) -> None:
    first, second = open_storage(data_dir), open_storage(data_dir)
    try:
        holding = threading.Event()

        def hold() -> None:
            with first.transaction():
                first.trades.record(_trade(1.0))
                holding.set()
                time.sleep(0.3)

        thread = threading.Thread(target=hold)
        thread.start()
        assert holding.wait(5)
        second.trades.record(_trade(2.0))  # blocks on the write lock until `first` commits
        thread.join(5)
        assert second.trades.totals().count == 2
    finally:
        first.close()
        second.close()


def test_one_storage_shared_by_threads(store: Storage) -> None:
    def work(n: int) -> None:
        for i in range(40):
            request = OrderRequest("paper", "ETH-PERP", "sell", 1.0, client_id=f"t{n}-{i}")
            store.orders.record_intent(Order(request, OrderStatus.INTENT), "paper")
            store.orders.update(f"t{n}-{i}", status=OrderStatus.FILLED, filled_size=1.0, avg_fill_price=2_000.0)
            store.orders.page(limit=5)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    records = store.orders.page(limit=1_000)
    assert len(records) == 160 and all(r.order.status is OrderStatus.FILLED for r in records)
    assert store.orders.pending_intents() == []


def test_nested_transaction_rolls_back_only_inner_block(store: Storage) -> None:
    with store.transaction():
        store.trades.record(_trade(1.0))
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.trades.record(_trade(2.0))
                raise RuntimeError("inner")
    assert [t.closed_at for t in store.trades.page()] == [1.0]


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(NotADatabaseError, match="not an SQLite database"):
        open_storage(tmp_path)
    assert (tmp_path / DB_FILENAME).read_bytes() == b"definitely not sqlite" * 100
