"""A router may load the swap's mints from an address lookup table instead of its static keys: the
tables are read over RPC (getAccountInfo) before signing, and the signing checks still hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.venues.base import NotSent
from grace_desktop.venues.spot.signing import SigningRefused
from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from tests.venues.spot.chain import Chain
from tests.venues.spot.stack import spot_loop
from tests.venues.spot.test_spot_faults import ACCOUNT, buy, final


async def test_mints_in_a_lookup_table_are_found_and_the_swap_goes_through(tmp_path: Path) -> None:
    async with spot_loop(tmp_path, chain=Chain(mints_in_table=True)) as loop:
        order = await loop.venue.place_order(buy(loop))
        assert await final(loop, order.client_id) is OrderStatus.FILLED
        [raw] = loop.loopback.submitted
        message = VersionedTransaction.from_bytes(raw).message
        static = {str(k) for k in message.account_keys}
        assert USDC_MINT not in static and SOL_MINT not in static  # only the table names them
        assert len(message.address_table_lookups) == 1 and loop.loopback.calls["getAccountInfo"] == 1
        assert loop.distinct_swaps() == 1


async def test_a_table_that_does_not_hold_the_quoted_mints_is_refused(tmp_path: Path) -> None:
    chain = Chain(mints_in_table=True)
    async with spot_loop(tmp_path, chain=chain) as loop:
        real_lookup_table = chain._lookup_table

        def other_mints(mints: list[str]):  # the table on chain holds other tokens than the message implies
            account = real_lookup_table(mints)
            data = chain.tables[str(account.key)]
            chain.tables[str(account.key)] = data[:56] + bytes(Pubkey.new_unique()) + bytes(Pubkey.new_unique())
            return account

        chain._lookup_table = other_mints  # type: ignore[method-assign]
        with pytest.raises(SigningRefused, match="does not touch the quoted mint"):
            await loop.venue.place_order(buy(loop))
        assert loop.loopback.submitted == [] and loop.distinct_swaps() == 0


async def test_a_missing_or_unreadable_table_is_refused_before_signing(tmp_path: Path) -> None:
    chain = Chain(mints_in_table=True)
    async with spot_loop(tmp_path, chain=chain) as loop:
        real_lookup_table = chain._lookup_table

        def unpublished(mints: list[str]):
            account = real_lookup_table(mints)
            chain.tables.pop(str(account.key))
            return account

        chain._lookup_table = unpublished  # type: ignore[method-assign]
        with pytest.raises(SigningRefused, match="lookup table .* was not found"):
            await loop.venue.place_order(buy(loop))
        chain._lookup_table = real_lookup_table  # type: ignore[method-assign]
        loop.loopback.fault("getAccountInfo", "429")
        with pytest.raises(NotSent, match="cannot read the swap's lookup tables"):
            await loop.venue.place_order(buy(loop))
        assert loop.loopback.submitted == [] and loop.distinct_swaps() == 0
        assert await loop.venue.positions(ACCOUNT) == []
