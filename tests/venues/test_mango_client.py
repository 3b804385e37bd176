"""The Mango V3 client against the loopback mango-v3-service: shapes parsed, every failure a typed error."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from grace_desktop.venues.base import OrderRejected, RateLimited, VenueError, VenueTimeout
from grace_desktop.venues.mango_v3 import parse
from grace_desktop.venues.mango_v3.client import MangoV3Client
from grace_desktop.venues.mango_v3.transport import ServiceError, ServiceRejected
from tests.venues.mango_service import Fault, MangoService


@pytest.fixture
def service() -> AsyncIterator[MangoService]:
    server = MangoService().start()
    yield server
    server.stop()


@pytest.fixture
async def client(service: MangoService) -> AsyncIterator[MangoV3Client]:
    c = MangoV3Client(service.url, timeout=1.0, backoff=0.01, rate=500, burst=50)
    yield c
    await c.aclose()


def test_numbers_arrive_as_strings_or_floats() -> None:
    assert parse.number("101.25", "x") == 101.25 and parse.number(101.25, "x") == 101.25
    assert parse.number(None, "x", optional=True) is None
    for bad in ("abc", True, float("nan"), [1]):
        with pytest.raises(VenueError, match="malformed reply"):
            parse.number(bad, "x")
    row = parse.position({"future": "SOL-PERP", "side": "short", "size": "2", "netSize": "-2", "cost": "200",
                          "entryPrice": "50195.9", "recentBreakEvenPrice": None, "unrealizedPnl": None})
    assert row.net_size == -2 and row.entry_price == 50195.9 and row.break_even is None
    assert parse.position({"future": "X-PERP", "side": "long", "size": 1, "netSize": 1, "cost": 5,
                           "entryPrice": 0}).entry_price is None  # 0: the service could not compute it
    fill = parse.fill_row({"seqNum": "7", "loadTimestamp": "2021-09-23T07:35:48.000Z", "takerSide": "bid",
                           "takerClientOrderId": "870", "makerClientOrderId": 0, "price": "44225",
                           "quantity": 0.0001, "takerFee": "0.0004", "makerFee": -0.0003}, "BTC-PERP")
    assert (fill.taker_side, fill.taker_client_id, fill.maker_client_id, fill.price) == ("buy", "870", "", 44225.0)
    assert fill.ts == 1632382548.0


async def test_markets_book_trades_and_candles(client: MangoV3Client, service: MangoService) -> None:
    markets = {m.name: m for m in await client.markets()}
    sol = markets["SOL-PERP"]
    assert sol.is_perp and sol.price is None and sol.mid == pytest.approx(100.0)  # price null: mark from bid/ask
    assert sol.price_increment == Decimal("0.01") and markets["BTC-PERP"].size_increment == Decimal("0.0001")
    assert await client.market("SOL-PERP") == sol  # the service's one-element list
    book = await client.orderbook("SOL-PERP", depth=20)
    assert book.asks[0][0] == pytest.approx(100.01) and book.bids[0][0] == pytest.approx(99.99)
    with pytest.raises(ValueError):
        await client.orderbook("SOL-PERP", depth=5)
    service.state.set_price("SOL-PERP", 101.0)
    await client.place_order("SOL-PERP", "buy", Decimal("0.5"), price=Decimal("102"), client_id=9, ioc=True)
    trades = await client.trades("SOL-PERP")  # one per maker matched: 0.4 at the best ask, 0.1 behind it
    assert {t.side for t in trades} == {"buy"} and sum(t.size for t in trades) == pytest.approx(0.5)
    now = time.time()
    candles = await client.candles("SOL-PERP", 60, now - 7200, now + 60)  # 60 = one hour: minutes
    assert candles and all(c.ts % 3600 == 0 for c in candles)
    with pytest.raises(ServiceRejected, match="Market NOPE-PERP not supported!"):
        await client.market("NOPE-PERP")


async def test_orders_fills_and_account_shapes(client: MangoV3Client, service: MangoService) -> None:
    tx = await client.place_order("SOL-PERP", "buy", Decimal("1"), price=Decimal("90"), client_id=870)
    assert tx  # only a signature: the order itself is found through the book
    [resting] = await client.open_orders("SOL-PERP")
    assert resting.client_id == "870" and resting.price == 90.0 and resting.side == "buy"
    assert await client.cancel_order(resting.order_id)
    with pytest.raises(ServiceRejected, match="Order not found!"):
        await client.cancel_by_client_id(870)
    await client.place_order("SOL-PERP", "sell", Decimal("1"), price=None, order_type="market", client_id=871)
    [position] = await client.positions()
    assert position.net_size == -1.0 and position.entry_price is not None
    rows = await client.fills("SOL-PERP")
    assert {r.taker_client_id for r in rows} == {"871"} and sum(r.quantity for r in rows) == pytest.approx(1.0)
    await client.place_order("SOL-PERP", "buy", Decimal("1"), price=Decimal("50"), client_id=872)
    assert await client.cancel_all() is None and await client.open_orders() == []
    account = await client.account()
    assert account.margin_available["SOL-PERP"] > 0
    usdc = next(b for b in await client.balances() if b.coin == "USDC")
    assert usdc.total < 10_000  # the taker fee
    with pytest.raises(ServiceRejected, match="missing price"):
        await client.transport.call("POST", "/orders", read=False, body={
            "market": "SOL-PERP", "side": "buy", "type": "limit", "size": 1, "reduceOnly": False, "ioc": False,
            "postOnly": False, "postOnlySlide": False, "clientId": 1})


@pytest.mark.parametrize("kind, error, words", [
    ("500", ServiceError, "HTTP 500: Internal Server Error"),
    ("html", ServiceError, "HTML error page: 502 Bad Gateway"),
    ("success_false", ServiceError, "service paused by the operator"),
    ("truncated", ServiceError, "malformed or truncated JSON"),
    ("429", RateLimited, "429"),
    ("no_answer", VenueTimeout, "no answer within"),
])
async def test_each_fault_is_a_clear_typed_error(client: MangoV3Client, service: MangoService, kind: str,
                                                  error: type[VenueError], words: str) -> None:
    service.fault("POST /api/orders", Fault(kind, delay=3.0, retry_after=2.0))
    with pytest.raises(error, match=words) as raised:
        await client.place_order("SOL-PERP", "buy", Decimal("1"), price=Decimal("101"), client_id=5, ioc=True)
    assert not isinstance(raised.value, OrderRejected)  # not a refusal: the order may or may not exist
    if kind == "429":
        assert raised.value.retry_after == 2.0
    assert service.place_calls["5"] == 1  # a write is never retried


async def test_reads_are_retried_with_backoff_and_429_is_honoured(client: MangoV3Client,
                                                                    service: MangoService) -> None:
    service.fault("GET /api/positions", Fault("500", times=2))
    assert await client.positions() == []
    assert service.requests["GET /api/positions"] == 3
    service.fault("GET /api/orders", Fault("429", retry_after=0.3))
    started = time.monotonic()
    assert await client.open_orders() == []
    assert time.monotonic() - started >= 0.3 and service.requests["GET /api/orders"] == 2
    service.fault("GET /api/wallet/balances", Fault("truncated", times=10))
    with pytest.raises(ServiceError, match="truncated"):
        await client.balances()  # every attempt failed: the last error, within the deadline


async def test_a_reply_after_the_deadline_is_a_timeout(client: MangoV3Client, service: MangoService) -> None:
    service.fault("GET /api/mango/account", Fault("late", delay=2.0, times=10))
    started = time.monotonic()
    with pytest.raises(VenueTimeout):
        await client.account(deadline=0.4)
    assert time.monotonic() - started < 1.8  # the call's deadline, not the 2 s the reply takes


async def test_a_withdrawal_success_never_answers_so_it_has_a_deadline(client: MangoV3Client,
                                                                      service: MangoService) -> None:
    with pytest.raises(VenueTimeout):
        await client.withdraw("USDC", Decimal("100"), deadline=0.3)
    assert service.state.usdc == pytest.approx(9_900)  # it happened; only the balance can tell
    with pytest.raises(ServiceRejected, match="insufficient funds"):  # refused: nothing done
        await client.withdraw("USDC", Decimal("1000000"), deadline=1.0)


async def test_the_rate_limiter_spaces_calls(service: MangoService) -> None:
    slow = MangoV3Client(service.url, rate=10, burst=1)
    try:
        started = time.monotonic()
        for _ in range(6):
            await slow.coins()
        assert time.monotonic() - started >= 0.45
    finally:
        await slow.aclose()


async def test_connection_refused_is_not_sent() -> None:
    from grace_desktop.venues.base import NotSent

    dead = MangoV3Client("http://127.0.0.1:9/api", timeout=1.0, read_attempts=1)
    try:
        with pytest.raises(NotSent):
            await dead.place_order("SOL-PERP", "buy", Decimal("1"), price=Decimal("1"), client_id=1)
    finally:
        await dead.aclose()
