"""The spot venue: Solana token swaps through a router, signed here, sent and confirmed over RPC.

A market order is one ExactIn swap: a buy spends size × mark of the quote token (USDC), a sell
spends exactly `size` of the base token. `place_order` quotes (falling back Jupiter <-> GMGN when
the user allowed it and the first router cannot answer; nothing was signed or sent yet), signs,
records the signed bytes, hands them over once, and answers SUBMITTED, UNKNOWN (maybe sent) or the
refusal; landing is followed in the background (landing.py) and reported as events. Positions are
what this venue bought for the account, capped by what the wallet really holds.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from grace_desktop.domain import spot as money
from grace_desktop.domain.enums import MarketKind, OrderSide, OrderStatus, OrderType
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import SPOT_WALLET, Fill, MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.venues.base import Capability, NotSent, OrderRejected, Tick, VenueError, VenueHealth
from grace_desktop.venues.event_stream import EventHub, EventSubscription
from grace_desktop.venues.events import FillReported, FundingPaid, OrderChanged, PositionChanged, VenueNotice
from grace_desktop.venues.price_stream import PriceSubscription
from grace_desktop.venues.spot import records as r
from grace_desktop.venues.spot.adoption import WalletAdoption
from grace_desktop.venues.spot.book import apply_to_holding, book_swap
from grace_desktop.venues.spot.keys import Wallet
from grace_desktop.venues.spot.landing import Lander
from grace_desktop.venues.spot.prices import JupiterPrices
from grace_desktop.venues.spot.router_choice import RouterChoice
from grace_desktop.venues.spot.routers import SpotRouter
from grace_desktop.venues.spot.rpc import SolanaRpc
from grace_desktop.venues.spot.signing import decode_transaction, loaded_keys, sign_swap, signature_of
from grace_desktop.venues.spot.tokens import SOL_MINT, Token

log = logging.getLogger(__name__)
_STATUS = {r.SIGNED: OrderStatus.UNKNOWN, r.SENDING: OrderStatus.UNKNOWN, r.SUBMITTED: OrderStatus.SUBMITTED,
           r.LANDED: OrderStatus.FILLED, r.FAILED_ON_CHAIN: OrderStatus.REJECTED, r.EXPIRED: OrderStatus.EXPIRED}
TAKER_FEE = 0.001  # what a quote's fee may come to (Jupiter: 0–50 bps by pair); the fill carries the real fee


class SpotVenue(WalletAdoption):
    supports_leverage = False
    capabilities = frozenset({Capability.SPOT})
    landing_window = 150.0  # a blockhash lives ~60–90 s; a swap not seen by then can no longer land
    close_wait = 5.0  # how long close() waits for its background tasks to end after cancelling them

    def __init__(
        self, *, wallet: Wallet | None, routers: Sequence[SpotRouter], rpc: SolanaRpc, prices: JupiterPrices,
        quote: Token, bases: Mapping[str, Token], slippage_bps: int = 50, fallback: bool = False,
        records_path: Path | None = None, name: str = "spot", ack_wait: float = 8.0, quote_wait: float = 6.0,
        poll: float = 0.5, rebroadcast: float = 2.0, clock: Callable[[], float] = time.time,
    ) -> None:
        money.bps_to_percent(slippage_bps)
        self.name = name
        self.wallet = wallet
        self.choice = RouterChoice(routers, fallback=fallback, quote_wait=quote_wait)
        self.routers = self.choice.routers
        self.rpc = rpc
        self.prices = prices
        self.quote = quote
        self.bases = dict(bases)
        self.slippage_bps = slippage_bps
        self.ack_wait = ack_wait
        self._clock = clock
        self._records = r.RecordFile(records_path)
        self._hub = EventHub()
        self._subs: list[PriceSubscription] = []
        prices.publish = self._publish_tick
        self.lander = Lander(rpc, save=self._save, landed=self._on_landed, ended=self._on_ended, clock=clock,
                             poll=poll, rebroadcast=rebroadcast)
        self._decimals: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._seq = int(clock() * 1000)
        self._one_at_a_time = asyncio.Lock()
        self._priced: set[str] = set()  # markets that had their first price (a holding found then is adopted)

    # ----- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self._load_decimals()
        self._spawn(self.prices.run())
        for record in self._records.swaps.values():  # what the last run left in flight: follow, never resend
            if record.state == r.SIGNED:
                record.state, record.rejected_as, record.reason = r.NOT_SENT, "failed", "signed but never sent before a restart"
                self._save(record)
            elif not record.final:
                self._spawn(self.lander.follow(record))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.prices.stop()
        tasks = tuple(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:  # bounded: a task that ignores its cancel must not hold the window's shutdown
            _, stuck = await asyncio.wait(tasks, timeout=self.close_wait)
            for task in stuck:
                log.error("spot venue: %s did not stop within %g s", task.get_coro(), self.close_wait)
        for sub in tuple(self._subs):
            sub.close()
        self._hub.close()
        for router in self.routers:
            await router.close()
        await self.prices.api.close()
        await self.rpc.close()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("spot venue task failed: %s", task.exception())

    def _check_open(self) -> None:
        if self._closed:
            raise VenueError(f"{self.name}: the venue is closed")

    async def _load_decimals(self) -> None:
        for token in [self.quote, *self.bases.values()]:
            if token.mint not in self._decimals:
                self._decimals[token.mint] = await self.rpc.decimals(token.mint)

    # ----- markets and prices ------------------------------------------------------------------
    def _lot_units(self, mint: str) -> int:
        return 10 ** max(0, self._decimals[mint] - 6)

    async def markets(self) -> dict[str, MarketSpec]:
        self._check_open()
        await self._load_decimals()
        tick = 10.0 ** -min(self._decimals[self.quote.mint], 6)
        return {m: MarketSpec(m, MarketKind.SPOT, t.symbol, self.quote.symbol, tick_size=tick,
                              lot_size=money.from_units(self._lot_units(t.mint), self._decimals[t.mint]),
                              taker_fee=TAKER_FEE, maker_fee=TAKER_FEE) for m, t in self.bases.items()}

    def _publish_tick(self, tick: Tick) -> None:
        for sub in tuple(self._subs):
            sub.push(tick)
        if tick.market not in self._priced and not self._closed:
            self._priced.add(tick.market)  # the wallet's earlier holdings can be booked at a price now
            self._spawn(self._adopt_after_first_price())

    def subscribe_prices(self, markets: Iterable[str] | None = None) -> AsyncIterator[Tick]:
        sub = PriceSubscription(markets, on_close=lambda s: self._subs.remove(s) if s in self._subs else None)
        if self._closed:
            sub.close()
        else:
            self._subs.append(sub)
            # The last price of each market at once (with its own time): the next poll that changes it
            # may be a while away, and a steady price is re-sent only every `refresh` seconds.
            for tick in tuple(self.prices.last_ticks.values()):
                sub.push(tick)
        return sub

    def last_price(self, market: str) -> float | None:
        return self.prices.last.get(market)

    def events(self) -> EventSubscription:
        subscription = self._hub.subscribe()
        if self._priced and not self._closed:  # holdings found before anyone listened: book them now
            self._spawn(self._adopt_after_first_price())
        return subscription

    def new_client_id(self) -> str:
        self._seq += 1
        return f"spot-{self._seq}"

    # ----- wallet reads ------------------------------------------------------------------------
    async def _balance(self, token_mint: str) -> int:
        if self.wallet is None:
            return 0
        return await self.rpc.balance(str(self.wallet.pubkey), token_mint, native=token_mint == SOL_MINT)

    async def portfolio(self, account: str) -> Portfolio:
        self._check_open()
        cash = money.from_units(await self._balance(self.quote.mint), self._decimals[self.quote.mint])
        marks = {m: p for m, p in self.prices.last.items()}
        return Portfolio(account, cash, tuple(await self.positions(account)), marks, margin_mode=SPOT_WALLET)

    async def positions(self, account: str) -> list[Position]:
        """The account's holdings, capped by what the wallet really holds (tokens moved out are gone)."""
        self._check_open()
        wallet = {m: await self._balance(t.mint) for m, t in sorted(self.bases.items())}
        if account == self.name:  # the app's own account; another (the self-test's) holds only what it swapped
            await self._adopt_untracked(account, wallet)
        found = []
        for market, units in wallet.items():
            held = self._records.holdings.get((account, market))
            if held is None or held.size <= 0:
                continue
            size = min(held.size, money.from_units(units, self._decimals[self.bases[market].mint]))
            if size > 0:
                found.append(Position(account, market, "long", size, held.entry_price, 1.0, size * held.entry_price,
                                      held.realized_pnl, held.opened_at))
        return found

    def _book(self, record: r.SwapRecord, fill: Fill, spec: MarketSpec) -> None:
        """The fill into the holding it changes, and both to the record file."""
        key = (record.account, record.market)
        holding = apply_to_holding(self._records.holdings.get(key), fill, spec, record.account)
        if holding is None:
            self._records.holdings.pop(key, None)
        else:
            self._records.holdings[key] = holding
        self._save(record)

    async def open_orders(self, account: str) -> list[Order]:
        self._check_open()
        return []  # swaps never rest; an order in flight is found by its client id

    async def fills(self, account: str, since: float | None = None) -> list[Fill]:
        self._check_open()
        return [self._fill_of(s) for s in self._records.swaps.values()
                if s.account == account and s.fill is not None and (since is None or s.fill["ts"] >= since)]

    async def funding(self, account: str, since: float | None = None) -> list[FundingPaid]:
        self._check_open()
        return []

    async def cancel_order(self, account: str, client_id: str) -> bool:
        self._check_open()
        return False  # a signed swap cannot be called back; it lands or its blockhash expires

    async def order_by_client_id(self, account: str, client_id: str) -> Order | None:
        self._check_open()
        record = self._records.swaps.get(client_id)
        return None if record is None or record.account != account else self._order_of(record)

    async def health(self) -> VenueHealth:
        if self._closed:
            return VenueHealth(False, "closed")
        started = time.monotonic()
        try:
            await self.rpc.health()
        except VenueError as exc:
            return VenueHealth(False, f"RPC: {exc}")
        problems = [f"{n}: {e}" for n, e in self.choice.errors.items()]
        never_priced = bool(self.prices.error) and not self.prices.last  # no price yet, and why
        if self.prices.failures >= 3 or never_priced:
            problems.append(f"prices: {self.prices.error}")
        ok = not self.choice.all_failing and self.prices.failures < 3 and not never_priced
        detail = "; ".join(filter(None, [self.choice.fallback_reason, *problems]))
        return VenueHealth(ok, detail, (time.monotonic() - started) * 1000)

    # ----- orders --------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        self._check_open()
        existing = self._records.swaps.get(request.client_id)
        if existing is not None:  # the same client id again: that order, never a second swap
            if existing.account != request.account:
                raise OrderRejected(f"client_id: {request.client_id!r} is already used by another account")
            return self._order_of(existing)
        # One swap in flight per wallet: a fill is read from the wallet's balance changes, which two
        # swaps landing together (a buy of SOL and of JUP both spend USDC) would leave mixed up.
        async with self._one_at_a_time:
            existing = self._records.swaps.get(request.client_id)
            if existing is not None:
                return self._order_of(existing)
            landing = next((s for s in self._records.swaps.values() if not s.final), None)
            if landing is not None:
                raise NotSent(f"not sent: the {landing.market} {landing.side} swap {landing.signature[:8]}… is still "
                              "landing; one swap at a time, so each one's amounts are read from the wallet")
            return await self._place(request)

    async def _place(self, request: OrderRequest) -> Order:
        try:
            spec = request.check_market(await self.markets())
        except DomainError as exc:
            raise OrderRejected(str(exc)) from None
        if request.order_type is not OrderType.MARKET:
            raise OrderRejected("order_type: spot swaps are market orders; use an entry condition for a price")
        if self.wallet is None:
            raise OrderRejected("wallet: no keypair is configured; import one in settings")
        token = self.bases[spec.name]
        base_dec, quote_dec = self._decimals[token.mint], self._decimals[self.quote.mint]
        held = self._records.holdings.get((request.account, spec.name))
        if request.side is OrderSide.BUY:
            if request.reduce_only:
                raise OrderRejected("reduce_only: a spot holding is reduced by selling")
            mark = self.last_price(spec.name)
            if mark is None:
                raise OrderRejected(f"price: no price for {spec.name} yet; a buy spends size × price of {self.quote.symbol}")
            in_mint, out_mint, in_units = self.quote.mint, token.mint, money.to_units(request.size * mark, quote_dec)
        else:
            if held is None or held.size < request.size - 1e-12:
                have = held.size if held else 0.0
                raise OrderRejected(f"size: selling {request.size:g} {token.symbol}, but this account holds {have:g}")
            in_mint, out_mint, in_units = token.mint, self.quote.mint, money.to_units(request.size, base_dec)
        record = r.SwapRecord(request.client_id, request.account, spec.name, request.side.value, request.size,
                              self._clock())
        quoted, router = await self.choice.quote(in_mint=in_mint, out_mint=out_mint, in_units=in_units,
                                                 taker=str(self.wallet.pubkey), slippage_bps=self.slippage_bps)
        if router is not self.routers[0]:
            self._hub.publish([VenueNotice(self.name, request.account, "warning", "Spot router fallback",
                                           self.choice.fallback_reason, request.market)])
        unsigned = decode_transaction(quoted.transaction)
        tx = sign_swap(unsigned, self.wallet, input_mint=in_mint, output_mint=out_mint,
                       looked_up=await loaded_keys(unsigned, self.rpc.account_data))
        try:
            before = {m: await self._balance(m) for m in (in_mint, out_mint)}
        except VenueError as exc:
            raise NotSent(f"not sent: cannot read the wallet's balances before the swap ({exc})") from None
        signature = signature_of(tx)
        record.__dict__.update(
            router=quoted.router, state=r.SENDING, signature=signature, request_id=quoted.request_id,
            input_mint=in_mint, output_mint=out_mint, in_units=quoted.in_units, out_units=quoted.out_units,
            min_out_units=quoted.min_out_units, last_valid_block_height=quoted.last_valid_block_height,
            network_fee_lamports=quoted.network_fee_lamports, via_rpc=quoted.via_rpc, before=before,
            signed_tx=base64.b64encode(bytes(tx)).decode(), updated_at=self._clock())
        self._records.swaps[record.client_id] = record
        self._save(record)  # durable before it is handed to anyone
        ack: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._spawn(self.lander.send(record, router, ack))
        # asyncio.wait neither cancels the hand-over nor swallows a cancel of this call (wait_for on 3.11
        # can); not done in time = still being handed over: maybe sent, followed in the background.
        await asyncio.wait({ack}, timeout=self.ack_wait)
        refused = ack.exception() if ack.done() else None
        if refused is not None:
            raise refused
        order = self._order_of(record)
        if order.status is OrderStatus.UNKNOWN and not order.reason:
            order = order.with_status(OrderStatus.UNKNOWN, reason=f"sent; no answer within {self.ack_wait:g} s")
        return order

    # ----- what the lander reports ---------------------------------------------------------------
    def _save(self, record: r.SwapRecord) -> None:
        self._records.swaps[record.client_id] = record
        self._records.save()

    def _on_ended(self, record: r.SwapRecord) -> None:
        self._hub.publish([OrderChanged(self.name, record.account, self._order_of(record))])

    async def _on_landed(self, record: r.SwapRecord) -> None:
        token = self.bases[record.market]
        after = {m: await self._balance(m) for m in (record.input_mint, record.output_mint)}
        sol_usd, quote_usd = self.prices.usd.get(SOL_MINT), self.prices.usd.get(self.quote.mint) or 1.0
        booked = book_swap(record, after, base_decimals=self._decimals[token.mint],
                           quote_decimals=self._decimals[self.quote.mint], lot_units=self._lot_units(token.mint),
                           sol_price=sol_usd / quote_usd if sol_usd else None, ts=self._clock())
        fill = booked.fill
        spec = (await self.markets())[record.market]
        record.fill = {"size": fill.size, "price": fill.price, "fee": fill.fee, "ts": fill.ts}
        record.state, record.reason, record.updated_at = r.LANDED, "", fill.ts
        self._book(record, fill, spec)
        events: list[Any] = []
        if booked.mismatch:
            events.append(VenueNotice(self.name, record.account, "critical", "Swap amounts differ from the quote",
                                      f"{record.market} {record.side} {record.signature}: {booked.mismatch}",
                                      record.market))
        position = next((p for p in await self.positions(record.account) if p.market == record.market), None)
        events += [FillReported(self.name, record.account, fill, self._order_of(record)),
                   PositionChanged(self.name, record.account, record.market, position)]
        self._hub.publish(events)

    def _fill_of(self, record: r.SwapRecord) -> Fill:
        f = record.fill or {}
        return Fill(record.client_id, record.market, record.side, f["size"], f["price"], f["fee"], f["ts"],
                    fill_id=record.signature or record.client_id)

    def _order_of(self, record: r.SwapRecord) -> Order:
        request = OrderRequest(record.account, record.market, record.side, record.size, client_id=record.client_id)
        status = _STATUS.get(record.state) or (OrderStatus.FAILED if record.rejected_as == "failed" else OrderStatus.REJECTED)
        filled = record.fill["size"] if record.fill else 0.0
        price = record.fill["price"] if record.fill else None
        return Order(request, status, record.signature or None, filled, price, record.reason, record.created_at,
                     record.updated_at or record.created_at)
