"""Stored candles: upsert (the bar in progress is saved again as it grows), newest-N reads, bad rows skipped."""

from __future__ import annotations

from grace_desktop.storage import open_storage


def test_candles_upsert_read_back_and_survive_reopening(store, data_dir):
    rows = [("BTC-PERP", 60, (60.0 * i, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 2.0)) for i in range(10)]
    assert store.candles.save_many("paper", rows) == 10
    # The bar in progress grew: same bucket, new values.
    assert store.candles.save_many("paper", [("BTC-PERP", 60, (540.0, 109.0, 120.0, 99.0, 118.0, 9.0))]) == 1
    store.candles.save_many("paper", [("BTC-PERP", 300, (0.0, 1.0, 2.0, 0.5, 1.5, 3.0))])
    store.candles.save_many("other", [("BTC-PERP", 60, (0.0, 1.0, 2.0, 0.5, 1.5, 3.0))])
    recent = store.candles.recent("paper", "BTC-PERP", 60, limit=3)
    assert [r[0] for r in recent] == [420.0, 480.0, 540.0]
    assert recent[-1] == (540.0, 109.0, 120.0, 99.0, 118.0, 9.0)
    assert store.candles.last_ts("paper", "BTC-PERP", 60) == 540.0
    assert store.candles.last_ts("paper", "ETH-PERP", 60) is None
    store.close()
    again = open_storage(data_dir)
    try:
        assert len(again.candles.recent("paper", "BTC-PERP", 60)) == 10
        assert len(again.candles.recent("paper", "BTC-PERP", 300)) == 1
    finally:
        again.close()


def test_bad_candles_are_skipped_not_stored(store):
    nan = float("nan")
    saved = store.candles.save_many("paper", [
        ("X", 60, (0.0, 1.0, 2.0, 0.5, 1.5, 1.0)),
        ("X", 60, (60.0, nan, 2.0, 0.5, 1.5, 1.0)),
        ("X", 60, (120.0, 1.0, 0.4, 0.5, 1.5, 1.0)),  # high below low
        ("X", 60, (180.0, 0.0, 2.0, 0.0, 1.5, 1.0)),
    ])
    assert saved == 1 and [r[0] for r in store.candles.recent("paper", "X", 60)] == [0.0]
