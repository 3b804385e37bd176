"""Async client of the mango-v3-service REST API (MANGO_V3_API.md §1.4), one method per endpoint.

Answers come back as typed records (parse.py). Market names are the service's (`SOL-PERP`,
`BTC-SPOT`); client ids are numbers; prices and sizes must already be exact multiples of the
market's increments (rounding.py) because the service truncates them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from grace_desktop.venues.mango_v3 import parse
from grace_desktop.venues.mango_v3.rounding import QUOTE_DECIMALS, wire_float
from grace_desktop.venues.mango_v3.transport import Transport

DEFAULT_URL = "http://localhost:3000/api"
Side = Literal["buy", "sell"]


def _seg(name: str) -> str:
    return quote(name, safe="")


class MangoV3Client:
    def __init__(self, base_url: str = DEFAULT_URL, *, transport: Transport | None = None, **options: Any) -> None:
        self.transport = transport or Transport(base_url, **options)

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def _get(self, path: str, params: dict[str, Any] | None = None, deadline: float | None = None) -> Any:
        return await self.transport.call("GET", path, params=params, read=True, deadline=deadline)

    # ----- markets --------------------------------------------------------------------------
    async def coins(self) -> list[str]:
        return [parse.text(r.get("name"), "coin.name") for r in parse.rows(await self._get("/coins"), "coins")]

    async def markets(self, deadline: float | None = None) -> list[parse.MarketInfo]:
        return [parse.market(r) for r in parse.rows(await self._get("/markets", deadline=deadline), "markets")]

    async def market(self, name: str, deadline: float | None = None) -> parse.MarketInfo:
        """One market: the service answers a one-element list."""
        result = parse.rows(await self._get(f"/markets/{_seg(name)}", deadline=deadline), f"markets/{name}")
        if len(result) != 1:
            raise parse.MalformedReply(f"mango_v3: markets/{name}: expected one market, got {len(result)}")
        return parse.market(result[0])

    async def orderbook(self, name: str, depth: int = 20) -> parse.Book:
        if not 20 <= depth <= 100:
            raise ValueError("depth must be between 20 and 100 (the service refuses anything else)")
        return parse.book(await self._get(f"/markets/{_seg(name)}/orderbook", {"depth": depth}))

    async def trades(self, name: str) -> list[parse.Trade]:
        return [parse.trade(r) for r in parse.rows(await self._get(f"/markets/{_seg(name)}/trades"), "trades")]

    async def candles(self, name: str, resolution_minutes: int, start: float, end: float) -> list[parse.Candle]:
        """Candles `resolution_minutes` apart (TradingView units: 60 = one hour), times in unix seconds."""
        params = {"resolution": int(resolution_minutes), "start_time": int(start), "end_time": int(end)}
        return [parse.candle(r) for r in parse.rows(await self._get(f"/markets/{_seg(name)}/candles", params),
                                                    "candles")]

    # ----- account --------------------------------------------------------------------------
    async def balances(self, deadline: float | None = None) -> list[parse.Balance]:
        return [parse.balance(r) for r in parse.rows(await self._get("/wallet/balances", deadline=deadline),
                                                     "balances")]

    async def positions(self, deadline: float | None = None) -> list[parse.ServicePosition]:
        return [parse.position(r) for r in parse.rows(await self._get("/positions", deadline=deadline), "positions")]

    async def open_orders(self, market: str | None = None, deadline: float | None = None) -> list[parse.ServiceOrder]:
        params = {"market": market} if market else None
        return [parse.open_order(r) for r in parse.rows(await self._get("/orders", params, deadline), "orders")]

    async def fills(self, market: str, page: int | None = None, deadline: float | None = None) -> list[parse.FillRow]:
        """Fill events of one perp market (the service needs the market: without it the list is empty)."""
        params: dict[str, Any] = {"market": market}
        if page is not None:
            params["page"] = page
        return [parse.fill_row(r, market) for r in parse.rows(await self._get("/fills", params, deadline), "fills")]

    async def account(self, deadline: float | None = None) -> parse.AccountInfo:
        return parse.account(await self._get("/mango/account", deadline=deadline))

    # ----- orders (writes: never retried) ----------------------------------------------------
    async def place_order(
        self, market: str, side: Side, size: Decimal, *, price: Decimal | None, client_id: int,
        order_type: Literal["limit", "market"] = "limit", ioc: bool = False, post_only: bool = False,
        post_only_slide: bool = False, reduce_only: bool = False, expiry: int | None = None,
        size_decimals: int | None = None, deadline: float | None = None,
    ) -> str:
        """Place an order; the answer is only the transaction signature. `reduce_only` is sent as the
        contract requires but the service ignores it: callers size closes themselves. `size_decimals`
        (the market's base decimals; None: any Mango uses) is the scale the service truncates sizes at."""
        if order_type == "limit" and price is None:
            raise ValueError("a limit order needs a price")
        if not 0 <= client_id < 2**53:  # the service reads it as a JS number
            raise ValueError(f"client id {client_id} is outside 0..2^53")
        body: dict[str, Any] = {
            "market": market, "side": side, "type": order_type, "size": wire_float(size, size_decimals),
            "reduceOnly": bool(reduce_only), "ioc": bool(ioc), "postOnly": bool(post_only),
            "postOnlySlide": bool(post_only_slide), "clientId": client_id,
        }
        if price is not None:
            body["price"] = wire_float(price, QUOTE_DECIMALS)
        if expiry is not None:
            body["expiryTimestamp"] = int(expiry)
        result = await self.transport.call("POST", "/orders", body=body, read=False, deadline=deadline)
        return self._tx(result, "place order")

    async def cancel_order(self, order_id: str, deadline: float | None = None) -> str:
        result = await self.transport.call("DELETE", f"/orders/{_seg(order_id)}", read=False, deadline=deadline)
        return self._tx(result, "cancel order")

    async def cancel_by_client_id(self, client_id: int | str, deadline: float | None = None) -> str:
        result = await self.transport.call("DELETE", f"/orders/by_client_id/{_seg(str(client_id))}", read=False,
                                           deadline=deadline)
        return self._tx(result, "cancel order by client id")

    async def cancel_all(self, deadline: float | None = None) -> None:
        """Cancel every open order on every market (the service answers 200 with an empty body)."""
        await self.transport.call("DELETE", "/orders", read=False, deadline=deadline, empty_ok=True)

    async def withdraw(self, coin: str, size: Decimal, *, deadline: float) -> None:
        """Withdraw to the owner's wallet. The service never answers a success (the HTTP request hangs),
        so this always ends in VenueTimeout unless the service refused: check the balance afterwards."""
        body = {"coin": coin, "size": wire_float(size)}
        await self.transport.call("POST", "/wallet/withdrawals", body=body, read=False, deadline=deadline,
                                  empty_ok=True)

    @staticmethod
    def _tx(result: Any, what: str) -> str:
        return parse.text(parse.obj(result, what).get("tx"), f"{what}.tx")
