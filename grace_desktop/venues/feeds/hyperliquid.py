"""Client of Hyperliquid's public, keyless `POST /info` market-data endpoint (mids and candles).

Only two request types are used: `{"type": "allMids"}` (coin -> mid price as a string) and
`{"type": "candleSnapshot", "req": {...}}` (a bounded list of recent candles). No key, no
account, no signing. Every call has a deadline; every transport, status or parse failure
becomes a `VenueError` (429: `RateLimited` with the server's Retry-After, and the shared
weight budget pauses until then, so a candle back-fill cannot hammer a limit the price poll hit).

Hyperliquid weighs requests against a per-IP budget of about 1200 a minute (allMids is light,
a candle snapshot heavier plus a little per candle returned). `WeightBudget` spends at most
`per_minute` of it (default: half, leaving room for the user's other tools on the same IP).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from grace_desktop.venues.base import NotSent, RateLimited, VenueError, VenueTimeout

DEFAULT_URL = "https://api.hyperliquid.xyz/info"
ALL_MIDS_WEIGHT = 2
CANDLES_WEIGHT = 20
CANDLES_PER_EXTRA_WEIGHT = 60  # a snapshot costs one more unit per this many candles returned
DEFAULT_RETRY_AFTER = 10.0  # a 429 without a usable Retry-After header
BUDGET_PER_MINUTE = 600.0


class WeightBudget:
    """A token bucket of request weight: `per_minute` refilled continuously, at most one minute's worth banked."""

    def __init__(self, per_minute: float = BUDGET_PER_MINUTE, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        if not (math.isfinite(per_minute) and per_minute > 0):
            raise ValueError(f"per_minute: must be a positive number, got {per_minute!r}")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._tokens = per_minute
        self._at = clock()
        self._paused_until = 0.0
        self.spent = 0.0  # total weight charged (tests and the log read it)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.per_minute, self._tokens + (now - self._at) * self.per_minute / 60.0)
        self._at = now

    def wait_for(self, weight: float) -> float:
        """Seconds until `weight` may be spent (0: now)."""
        self._refill()
        pause = max(0.0, self._paused_until - self._clock())
        short = max(0.0, weight - self._tokens)
        return max(pause, short * 60.0 / self.per_minute)

    async def acquire(self, weight: float) -> None:
        """Wait until `weight` fits, then spend it. A weight above the whole budget waits for a full bucket."""
        weight = min(weight, self.per_minute)
        while (wait := self.wait_for(weight)) > 0:
            await self._sleep(wait)
        self._tokens -= weight
        self.spent += weight

    def charge(self, weight: float) -> None:
        """Spend weight known only after the answer (candles returned); may go into debt."""
        self._refill()
        self._tokens -= weight
        self.spent += weight

    def pause(self, seconds: float) -> None:
        """The server said 429: nobody sends before `seconds` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)


def retry_after_seconds(value: str | None) -> float:
    """Retry-After as seconds (the header may also be an HTTP date; then the default)."""
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER


def parse_price(coin: str, text: object) -> float:
    """A price string of the API as a positive finite float, or a VenueError naming the coin."""
    try:
        price = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise VenueError(f"live prices: {coin} quoted as {text!r}, not a number") from None
    if not (math.isfinite(price) and price > 0):
        raise VenueError(f"live prices: {coin} quoted as {text!r}, not a positive price")
    return price


class HyperliquidInfo:
    """POST /info with a deadline and a weight budget. `transport` lets tests pin the HTTP transport."""

    def __init__(self, url: str = DEFAULT_URL, *, timeout: float = 5.0, budget: WeightBudget | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"feed url: expected an http(s) URL, got {url!r}")
        self.url = url
        self.timeout = timeout
        self.budget = budget or WeightBudget()
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), transport=transport,
                                         headers={"Content-Type": "application/json"})
        self.requests = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, body: dict[str, Any], weight: float) -> Any:
        await self.budget.acquire(weight)
        self.requests += 1
        try:
            async with asyncio.timeout(self.timeout + 1.0):  # httpx's timeouts are per phase; this is the whole call
                response = await self._client.post(self.url, json=body)
        except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
            raise NotSent(f"live prices: cannot reach {self.url}: {_reason(exc)}") from None
        except (TimeoutError, httpx.TimeoutException):
            raise VenueTimeout(f"live prices: no answer from {self.url} within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:  # dropped connection, protocol error: a read, so simply retried
            raise VenueError(f"live prices: connection to {self.url} failed: {_reason(exc)}", retryable=True) from None
        if response.status_code == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            self.budget.pause(wait)
            raise RateLimited(f"live prices: rate limited by {self.url}; waiting {wait:g} s", retry_after=wait)
        if response.status_code != 200:
            raise VenueError(f"live prices: {self.url} answered HTTP {response.status_code}", retryable=True)
        try:
            return response.json()
        except ValueError:
            raise VenueError(f"live prices: {self.url} answered something that is not JSON", retryable=True) from None

    async def all_mids(self) -> dict[str, str]:
        data = await self.post({"type": "allMids"}, ALL_MIDS_WEIGHT)
        if not isinstance(data, dict):
            raise VenueError(f"live prices: allMids answered a {type(data).__name__}, expected an object")
        return data

    async def candle_snapshot(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        body = {"type": "candleSnapshot",
                "req": {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": end_ms}}
        data = await self.post(body, CANDLES_WEIGHT)
        if not isinstance(data, list):
            raise VenueError(f"live prices: candleSnapshot answered a {type(data).__name__}, expected a list")
        self.budget.charge(len(data) // CANDLES_PER_EXTRA_WEIGHT)
        return data


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
