"""Price history across a restart: bars built from ticks are stored, and a new window's book
starts from them; a venue's candles fill in what came before, under the live bars."""

from __future__ import annotations

import numpy as np

from grace_desktop.storage import open_storage
from grace_desktop.ui.candles_series import CandleBook
from grace_desktop.ui.price_history import PriceHistoryKeeper
from grace_desktop.ui.tasks import TaskKeeper

T0 = 1_796_000_000.0


class VenueWithCandles:
    def __init__(self, rows):
        self.rows = rows
        self.asked = []

    async def candles(self, market, timeframe, since):
        self.asked.append((market, timeframe, since))
        return self.rows


async def test_history_survives_a_restart_and_backfills_from_the_venue(tmp_path):
    store = open_storage(tmp_path)
    book = CandleBook()
    loaded = []
    keeper = PriceHistoryKeeper(book, store, "paper", None, TaskKeeper(), lambda m, t: loaded.append((m, t)))
    book.add_ticks([("BTC-PERP", T0 + i * 30, 100.0 + i) for i in range(20)])
    before = book.series("BTC-PERP", 60).view.copy()
    await keeper.close()
    store.close()

    store = open_storage(tmp_path)
    try:
        venue_rows = [(T0 - 600 + 60 * k, 90.0, 91.0, 89.0, 90.5, 5.0) for k in range(10)]  # ten minutes before
        venue = VenueWithCandles(venue_rows)
        book2 = CandleBook()
        keeper2 = PriceHistoryKeeper(book2, store, "paper", venue, TaskKeeper(), lambda m, t: loaded.append((m, t)))
        await keeper2.load("BTC-PERP", "1m")
        s = book2.series("BTC-PERP", 60)
        np.testing.assert_array_equal(s.view[-len(before):], before)  # stored bars, exactly
        assert s.view[0, 0] == venue_rows[0][0] and len(s) == len(before) + 10
        assert venue.asked == [("BTC-PERP", "1m", float(before[-1, 0]))]
        assert loaded == [("BTC-PERP", "1m"), ("BTC-PERP", "1m")]
        # New ticks continue the last stored bar rather than starting a second one for its minute.
        last_ts = float(before[-1, 0])
        book2.add_ticks([("BTC-PERP", last_ts + 1, 500.0)])
        assert len(s) == len(before) + 10 and s.view[-1, 2] == 500.0
        await keeper2.close()
    finally:
        store.close()
