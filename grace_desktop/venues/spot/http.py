"""HTTP for the spot venue's APIs: one client per API, a client-side rate limit, a deadline per call,
and every failure mapped to the venue errors (never a bare httpx error, never a key in a message).

`NotSent` is raised only when the request provably never left (connection refused); a broken
connection or a timeout after sending is `VenueTimeout` (outcome unknown).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Mapping
from typing import Any

import httpx

from grace_desktop.venues.base import NotSent, RateLimited, VenueError, VenueTimeout


class RateLimiter:
    """At most one call per `interval` seconds (the API's documented rate), and none before a 429's reset."""

    def __init__(self, interval: float, *, clock: Any = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    def wait_time(self) -> float:
        return max(0.0, self._next - self._clock())

    async def acquire(self, max_wait: float | None = None) -> None:
        """Wait for a slot; with `max_wait`, raise RateLimited instead of waiting longer than that."""
        # The lock is never held while sleeping: a caller that may not wait long (a quote) must learn at
        # once that the slot is far off, not queue behind a price poll sleeping out a 429's Retry-After.
        give_up = None if max_wait is None else self._clock() + max_wait
        while True:
            async with self._lock:
                now = self._clock()
                delay = max(0.0, self._next - now)
                if give_up is not None and now + delay > give_up + 1e-9:
                    raise RateLimited(f"rate limit: next call allowed in {delay:.1f} s", retry_after=delay)
                if delay <= 0:
                    self._next = now + self.interval
                    return
            await asyncio.sleep(delay)  # then look again: another caller or a 429 may have moved the slot

    def back_off(self, seconds: float) -> None:
        """The server said 429: nothing goes out for `seconds`."""
        self._next = max(self._next, self._clock() + seconds)


MAX_BACK_OFF = 600.0


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds a 429 asks us to wait: Retry-After (seconds or a date) or x-ratelimit-reset (epoch s or ms, or s from now)."""
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            if when is not None:
                return max(0.0, when.timestamp() - time.time())
    reset = response.headers.get("x-ratelimit-reset")
    if reset:
        try:
            stamp = float(reset)
        except ValueError:
            return default
        if stamp > 1e12:  # the unit is not documented: an epoch in milliseconds...
            stamp /= 1000.0
        # ...or in seconds; a small number is seconds from now. Capped, so a misread unit cannot
        # keep the router (and the price polls sharing its limit) silent until a restart.
        return min(MAX_BACK_OFF, max(0.0, stamp - time.time()) if stamp > 1e9 else stamp)
    return default


class JsonApi:
    """A JSON API at `root` with a rate limit and a deadline; headers (keys) stay inside the client."""

    def __init__(
        self, name: str, root: str, *, interval: float, deadline: float, headers: Mapping[str, str] | None = None,
        limiter: RateLimiter | None = None, transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.root = root.rstrip("/")
        self.deadline = deadline
        self.limiter = limiter or RateLimiter(interval)
        self._client = httpx.AsyncClient(headers=dict(headers or {}), timeout=httpx.Timeout(deadline),
                                         transport=transport, follow_redirects=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
        limited: bool = True, max_wait: float | None = None, deadline: float | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body). 429 -> RateLimited (and the limiter backs off); 5xx without a JSON
        body -> VenueError; other statuses are returned for the caller to read the API's own error."""
        if limited:
            await self.limiter.acquire(max_wait)
        what = f"{self.name} {path}".rstrip()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that arrives as the reply
            # does, and a poll loop cancelled that way never ends (the venue's close() then hung).
            async with asyncio.timeout(deadline or self.deadline):
                response = await self._client.request(method, self.root + path, params=params, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise NotSent(f"{what}: cannot connect ({type(exc).__name__})") from None
        except (TimeoutError, httpx.TimeoutException):
            raise VenueTimeout(f"{what}: no answer within {deadline or self.deadline:g} s") from None
        except httpx.HTTPError as exc:
            raise VenueTimeout(f"{what}: the connection broke ({type(exc).__name__})") from None
        if response.status_code == 429:
            wait = retry_after(response, default=max(self.limiter.interval, 1.0))
            self.limiter.back_off(wait)
            raise RateLimited(f"{what}: too many requests (429); wait {wait:.0f} s", retry_after=wait)
        try:
            body = response.json()
        except ValueError:
            if response.status_code >= 500:
                raise VenueError(f"{what}: server error {response.status_code}", retryable=True) from None
            refused = " (access refused: check the API key, or the host blocks this client)" \
                if response.status_code in (401, 403) else ""
            raise VenueError(f"{what}: HTTP {response.status_code}, not JSON "
                             f"({response.headers.get('content-type', 'no content type')}){refused}") from None
        return response.status_code, body
