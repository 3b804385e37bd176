"""Adopting what the wallet already held (wallet_holdings): after the first price, and on every
positions read of the app's own account, while a journal listens and no swap is landing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from grace_desktop.domain import spot as money
from grace_desktop.domain.models import Fill, MarketSpec, Order, Position
from grace_desktop.venues.base import VenueError
from grace_desktop.venues.event_stream import EventHub
from grace_desktop.venues.events import FillReported, PositionChanged, VenueNotice
from grace_desktop.venues.spot import records as r
from grace_desktop.venues.spot.keys import Wallet
from grace_desktop.venues.spot.tokens import Token
from grace_desktop.venues.spot.wallet_holdings import adoption, untracked_units

log = logging.getLogger(__name__)


class WalletAdoption:
    name: str
    wallet: Wallet | None
    bases: dict[str, Token]
    _records: r.RecordFile
    _hub: EventHub
    _decimals: dict[str, int]
    _clock: Callable[[], float]

    async def positions(self, account: str) -> list[Position]:
        raise NotImplementedError

    async def markets(self) -> dict[str, MarketSpec]:
        raise NotImplementedError

    def last_price(self, market: str) -> float | None:
        raise NotImplementedError

    def new_client_id(self) -> str:
        raise NotImplementedError

    def _lot_units(self, mint: str) -> int:
        raise NotImplementedError

    def _fill_of(self, record: r.SwapRecord) -> Fill:
        raise NotImplementedError

    def _order_of(self, record: r.SwapRecord) -> Order:
        raise NotImplementedError

    def _book(self, record: r.SwapRecord, fill: Fill, spec: MarketSpec) -> None:
        raise NotImplementedError

    async def _adopt_after_first_price(self) -> None:
        try:
            await self.positions(self.name)  # the app's own account on a venue is named after it
        except VenueError as exc:
            log.info("spot venue: wallet holdings not read after the first price: %s", exc)

    async def _adopt_untracked(self, account: str, wallet: Mapping[str, int]) -> None:
        """Book what the wallet holds beyond every account's holdings as a buy at the mark (wallet_holdings)."""
        if self.wallet is None or any(not s.final for s in self._records.swaps.values()):
            return  # a swap landing now moves the balances: what it brings is its own fill, not a holding found
        if not self._hub.subscribers:
            return  # its notice and fill would reach no journal: events() looks again when one listens
        specs = await self.markets()
        # No await from here on: two reads at once must not both book the same tokens.
        for market, units in wallet.items():
            token, mark = self.bases[market], self.last_price(market)
            tracked = sum(h.size for (_, m), h in self._records.holdings.items() if m == market)
            spare = untracked_units(units, tracked, decimals=self._decimals[token.mint],
                                    lot_units=self._lot_units(token.mint), native=token.native)
            if not spare or mark is None:
                continue  # nothing found, or no price to book it at yet (the first tick looks again)
            size = money.from_units(spare, self._decimals[token.mint])
            record = adoption(f"wallet-{self.new_client_id()}", account, market, size, mark, self._clock())
            self._records.swaps[record.client_id] = record
            fill = self._fill_of(record)
            self._book(record, fill, specs[market])
            held = self._records.holdings[(account, market)]
            text = (f"{size:g} {token.symbol} already in the wallet is now a {market} position at {mark:,.6g}, "
                    f"the price when first seen (its earlier cost is unknown)")
            if held.size > size + 1e-12:  # joined what was bought here: say what the whole is now
                text += f"; {held.size:g} at an average {held.entry_price:,.6g} in all"
            position = Position(account, market, "long", held.size, held.entry_price, 1.0,
                                held.size * held.entry_price, held.realized_pnl, held.opened_at)
            self._hub.publish([VenueNotice(self.name, account, "info", "Wallet holding adopted", text, market),
                               FillReported(self.name, account, fill, self._order_of(record)),
                               PositionChanged(self.name, account, market, position)])
