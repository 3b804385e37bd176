"""Sending one signed swap and following it until it is known: landed, failed on chain, or expired.

The only transaction ever sent for a record is the one signed for it. After a reply that may have
been lost, the record stays "sending" (the order UNKNOWN) and its signature is polled over our RPC
until it is confirmed, fails, or the chain's block height passes the quote's lastValidBlockHeight.
Re-broadcasting those same signed bytes over RPC is allowed (it cannot swap twice); quoting and
signing anew is not, until the old transaction provably can no longer land.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from grace_desktop.venues.base import NotSent, OrderRejected, RateLimited, VenueError, VenueTimeout
from grace_desktop.venues.spot import records as r
from grace_desktop.venues.spot.routers import MaybeSent, SpotRouter, SwapQuote
from grace_desktop.venues.spot.rpc import SigStatus, SolanaRpc, describe_tx_error

log = logging.getLogger(__name__)


class Lander:
    def __init__(self, rpc: SolanaRpc, *, save: Callable[[r.SwapRecord], None],
                 landed: Callable[[r.SwapRecord], Awaitable[None]], ended: Callable[[r.SwapRecord], None],
                 clock: Callable[[], float], poll: float = 0.5, rebroadcast: float = 2.0) -> None:
        self.rpc = rpc
        self._save = save
        self._landed = landed
        self._ended = ended
        self._clock = clock
        self.poll = poll
        self.rebroadcast = rebroadcast
        self.sent: list[str] = []  # every signature handed to a router or node (tests count distinct ones)

    def quote_of(self, record: r.SwapRecord) -> SwapQuote:
        return SwapQuote(record.router, record.input_mint, record.output_mint, record.in_units, record.out_units,
                         record.min_out_units, "", record.last_valid_block_height, record.request_id,
                         record.network_fee_lamports, record.via_rpc)

    async def send(self, record: r.SwapRecord, router: SpotRouter | None, ack: asyncio.Future[str]) -> None:
        """Submit once, tell `ack` what is known ("submitted", "unknown" or the refusal), then follow it."""
        raw = base64.b64decode(record.signed_tx)
        self.sent.append(record.signature)
        try:
            if record.via_rpc or router is None:
                await self.rpc.send_transaction(raw)
            else:
                submitted = await router.submit(self.quote_of(record), raw)
                if submitted.signature and submitted.signature != record.signature:
                    log.warning("router reported signature %s for %s", submitted.signature, record.signature)
        except (OrderRejected, NotSent, RateLimited) as exc:
            # Refused before it went anywhere that could land it: final, safe to quote again.
            record.rejected_as = "rejected" if isinstance(exc, OrderRejected) else "failed"
            self._finish(record, r.NOT_SENT, str(exc) if str(exc).startswith("not sent") else f"not sent: {exc}")
            _answer(ack, exc=exc)
            return
        except (MaybeSent, VenueError) as exc:
            record.reason = f"maybe sent ({exc}); confirming the signature until its blockhash expires"
            record.updated_at = self._clock()
            self._save(record)
            _answer(ack, "unknown" if isinstance(exc, MaybeSent) else None,
                    exc=None if isinstance(exc, MaybeSent) else VenueTimeout(str(exc)))
        else:
            record.state, record.reason, record.updated_at = r.SUBMITTED, "", self._clock()
            self._save(record)
            _answer(ack, "submitted")
        await self.follow(record)

    async def follow(self, record: r.SwapRecord) -> None:
        """Poll the signature over RPC until the swap's outcome is known (or the venue closes)."""
        raw = base64.b64decode(record.signed_tx)
        last_send = self._clock()
        while not record.final:
            await asyncio.sleep(self.poll)
            try:
                status = await self.rpc.signature_status(record.signature)
                if await self._settle(record, status):
                    return
                height = await self.rpc.block_height()
                if height > record.last_valid_block_height:
                    # Past expiry it can no longer land; one last look closes the race with a late landing.
                    if await self._settle(record, await self.rpc.signature_status(record.signature)):
                        return
                    cause = record.reason.split("; confirming")[0]  # what made it unknown, without the "still confirming"
                    self._finish(record, r.EXPIRED, f"not landed: its blockhash expired at block height "
                                 f"{record.last_valid_block_height} (now {height}); nothing was swapped, safe to "
                                 f"trade again{f' (it was {cause})' if cause else ''}")
                    return
                if record.via_rpc and self._clock() - last_send >= self.rebroadcast:
                    last_send = self._clock()
                    await self._rebroadcast(raw)
            except VenueError as exc:  # the node is away: the outcome is still open, keep asking
                log.info("confirming %s: %s", record.signature, exc)

    async def _settle(self, record: r.SwapRecord, status: SigStatus | None) -> bool:
        if status is None:
            return False
        if status.err is not None:
            self._finish(record, r.FAILED_ON_CHAIN, f"landed but failed: {describe_tx_error(status.err)}; "
                         "the network fee was paid, nothing was swapped")
            return True
        if status.landed:
            await self._landed(record)
            return True
        return False

    async def _rebroadcast(self, raw: bytes) -> None:
        try:
            await self.rpc.send_transaction(raw)
        except VenueError as exc:  # "already processed" and the like: the status poll decides
            log.debug("re-broadcast: %s", exc)

    def _finish(self, record: r.SwapRecord, state: str, reason: str) -> None:
        record.state, record.reason, record.updated_at = state, reason, self._clock()
        self._save(record)
        self._ended(record)


def _answer(ack: asyncio.Future[Any], value: str | None = None, *, exc: BaseException | None = None) -> None:
    if ack.done():
        return
    if exc is not None:
        ack.set_exception(exc)
        ack.exception()  # retrieved here: a caller that gave up waiting must not leave it "never retrieved"
    else:
        ack.set_result(value)
