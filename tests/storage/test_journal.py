"""Trade journal: keyset paging newest first, filters, totals and CSV export."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grace_desktop.domain.enums import Side
from grace_desktop.storage import Storage, TradeRecord, TradeTotals
from grace_desktop.storage.journal import BATCH_ROWS, CSV_HEADER

ACCOUNTS = ("alice", "bob")
MARKETS = ("BTC-PERP", "ETH-PERP", "SOL/USDC")


def _trade(i: int, closed_at: float, account: str, market: str, pnl: float, fees: float = 0.5) -> TradeRecord:
    return TradeRecord(
        account=account, market=market, side=Side.LONG if i % 2 else Side.SHORT, size=1.0 + i,
        entry_price=100.0, exit_price=100.0 + pnl, realized_pnl=pnl, fees=fees, opened_at=closed_at - 30,
        closed_at=closed_at, close_reason="take_profit" if pnl > 0 else "stop_loss", client_id=f"c{i}",
    )  # fmt: skip


@pytest.fixture
def filled(store: Storage) -> list[TradeRecord]:
    rng = random.Random(7)
    # Duplicate close times on purpose: the (closed_at, id) cursor must not skip or repeat them.
    trades = [
        _trade(i, float(rng.randint(1_000, 1_060)), rng.choice(ACCOUNTS), rng.choice(MARKETS), rng.uniform(-5, 5))
        for i in range(300)
    ]
    store.trades.record_many(trades)
    return store.trades.page(limit=1_000)


def _expected(trades: list[TradeRecord], **f: object) -> list[TradeRecord]:
    out = [
        t for t in trades
        if (f.get("account") is None or t.account == f["account"])
        and (f.get("market") is None or t.market == f["market"])
        and (f.get("since") is None or t.closed_at >= f["since"])
        and (f.get("until") is None or t.closed_at < f["until"])
    ]  # fmt: skip
    return sorted(out, key=lambda t: (t.closed_at, t.id), reverse=True)


def _all_pages(store: Storage, limit: int, **f: object) -> list[TradeRecord]:
    pages, before = [], None
    while True:
        page = store.trades.page(limit=limit, before_id=before, **f)
        assert len(page) <= limit
        if not page:
            return pages
        pages.extend(page)
        before = page[-1].id


def test_record_returns_id_and_round_trips(store: Storage) -> None:
    trade = _trade(1, 50.0, "alice", "BTC-PERP", 2.5)
    trade_id = store.trades.record(trade)
    [stored] = store.trades.page()
    assert stored.id == trade_id
    assert stored == TradeRecord(**{**{f: getattr(trade, f) for f in trade.__slots__}, "id": trade_id})
    assert store.accounts.get("alice").venue == "paper"


def test_pages_are_newest_first_and_complete(store: Storage, filled: list[TradeRecord]) -> None:
    assert len(filled) == 300
    keys = [(t.closed_at, t.id) for t in filled]
    assert keys == sorted(keys, reverse=True)
    assert _all_pages(store, 7) == filled


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    account=st.sampled_from((None, *ACCOUNTS)),
    market=st.sampled_from((None, *MARKETS)),
    since=st.sampled_from((None, 1_010.0, 1_030.0)),
    until=st.sampled_from((None, 1_030.0, 1_061.0)),
    limit=st.integers(1, 60),
)
def test_filtered_paging_matches_a_plain_filter(
    store: Storage, filled: list[TradeRecord], account, market, since, until, limit
) -> None:
    f = dict(account=account, market=market, since=since, until=until)
    expected = _expected(filled, **f)
    assert _all_pages(store, limit, **f) == expected
    totals = store.trades.totals(**f)
    assert totals.count == len(expected)
    assert totals.realized_pnl == pytest.approx(sum(t.realized_pnl for t in expected))
    assert totals.fees == pytest.approx(sum(t.fees for t in expected))
    assert totals.wins == sum(t.realized_pnl - t.fees > 0 for t in expected)
    assert totals.losses == sum(t.realized_pnl - t.fees < 0 for t in expected)


def test_totals_of_nothing_are_zero(store: Storage) -> None:
    assert store.trades.totals(account="nobody") == TradeTotals(0, 0.0, 0.0, 0, 0)


def test_bad_arguments_are_refused(store: Storage) -> None:
    with pytest.raises(ValueError, match="before_id"):
        store.trades.page(before_id=12345)
    with pytest.raises(ValueError, match="limit"):
        store.trades.page(limit=0)
    with pytest.raises(ValueError, match="closed_at"):
        TradeRecord("a", "BTC-PERP", "long", 1.0, 1.0, 1.0, 0.0, 0.0, opened_at=20.0, closed_at=10.0)
    with pytest.raises(ValueError, match="size"):
        TradeRecord("a", "BTC-PERP", "long", 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 2.0)


def _bad_tail(n: int):
    for i in range(n):
        yield _trade(i, 10.0 + i, "alice", "BTC-PERP", 1.0)
    yield "not a trade"


def test_record_many_commits_whole_batches(store: Storage) -> None:
    with pytest.raises(ValueError, match="trade"):
        store.trades.record_many(_bad_tail(BATCH_ROWS + 5))
    # The first full batch was committed; the batch holding the bad item was refused entirely.
    assert store.trades.totals().count == BATCH_ROWS


def test_record_many_inside_a_transaction_is_all_or_nothing(store: Storage) -> None:
    with pytest.raises(ValueError, match="trade"):
        with store.transaction():
            store.trades.record_many(_bad_tail(BATCH_ROWS + 5))
    assert store.trades.totals().count == 0


def test_csv_export_has_header_and_filtered_rows(store: Storage, filled: list[TradeRecord], tmp_path: Path) -> None:
    target = tmp_path / "out" / "journal.csv"
    target.parent.mkdir()
    written = store.trades.export_csv(target, account="bob", market="ETH-PERP", since=1_020.0)
    expected = _expected(filled, account="bob", market="ETH-PERP", since=1_020.0)
    assert written == len(expected) > 0
    with target.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_HEADER
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert [int(r["id"]) for r in body] == [t.id for t in expected]
    first, trade = body[0], expected[0]
    assert float(first["realized_pnl"]) == pytest.approx(trade.realized_pnl, rel=1e-11)  # 12 significant digits
    assert float(first["net"]) == pytest.approx(trade.realized_pnl - trade.fees, rel=1e-9, abs=1e-9)
    assert first["closed_at_utc"].endswith("+00:00") and first["account"] == "bob"
    assert list(tmp_path.joinpath("out").iterdir()) == [target]  # no leftover temp file


def test_csv_export_has_no_float_noise_and_a_net_column(store: Storage, tmp_path: Path) -> None:
    """QA 16: 67010.24999999999 and fees 10.703980000000001 came out as typed by the float."""
    store.trades.record(TradeRecord("paper", "BTC-PERP", "long", 0.1, 66_966.1, 67_010.24999999999,
                                    -44.14999999999709, 10.703980000000001, 1_000.0, 1_060.0, venue="paper"))
    target = tmp_path / "noise.csv"
    store.trades.export_csv(target)
    row = dict(zip(CSV_HEADER, list(csv.reader(target.open(newline="")))[1]))
    assert (row["exit_price"], row["realized_pnl"], row["fees"], row["net"]) == (
        "67010.25", "-44.15", "10.70398", "-54.85398")


def test_csv_export_of_nothing_is_just_the_header(store: Storage, tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    assert store.trades.export_csv(target) == 0
    assert target.read_text().splitlines() == [",".join(CSV_HEADER)]


def test_csv_export_failure_leaves_no_partial_file(store: Storage, tmp_path: Path) -> None:
    store.trades.record(_trade(1, 5.0, "alice", "BTC-PERP", 1.0))
    with pytest.raises(OSError):
        store.trades.export_csv(tmp_path / "missing-dir" / "x.csv")
    assert not (tmp_path / "missing-dir").exists()


def test_filtered_deep_page_is_an_index_range(store: Storage) -> None:
    """The next page seeks in the index (closed_at<?) instead of scanning past earlier pages or sorting."""
    first = store.trades.record(_trade(1, 5.0, "a", "m", 1.0))
    store.trades.record(_trade(2, 6.0, "a", "m", 1.0))
    plans: list[str] = []
    reader = store._read_conn()  # pages read on this thread's read-only connection
    reader.set_trace_callback(lambda sql: plans.append(sql) if sql.startswith("SELECT *") else None)
    assert [t.id for t in store.trades.page(account="a", market="m", before_id=first + 1)] == [first]
    reader.set_trace_callback(None)
    sql = plans[-1].replace("SELECT *", "EXPLAIN QUERY PLAN SELECT *", 1)
    detail = " ".join(r["detail"] for r in store.query(sql))
    assert "idx_trades_account_market_closed (account=? AND market=? AND closed_at<?)" in detail
    assert "TEMP B-TREE" not in detail
