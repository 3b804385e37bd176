"""HTTP to the mango-v3-service: deadlines, a rate limiter, read retries, and every failure typed.

- Every call has a deadline (the whole call, retries included); past it: `VenueTimeout`.
- Reads are retried with capped exponential backoff and full jitter while the deadline allows;
  writes (place, cancel, withdraw) never are: a lost reply leaves the outcome unknown.
- A client-side token bucket keeps us under `rate` requests/s (the service has no limiter,
  but a proxy in front of it may); a 429 is honoured for every call until its Retry-After.
- The service's error envelope `{"errors":[{"msg"}]}`, a proxy's `{"success": false}`, an HTML
  error page, a non-2xx status and malformed or truncated JSON all become `VenueError`s that
  carry the service's own message (never the request body).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from grace_desktop.venues.base import NotSent, OrderRejected, RateLimited, VenueError, VenueTimeout

_TAGS = re.compile(r"<[^>]+>")


class ServiceError(VenueError):
    """The service (or a proxy) answered with an error; `status` is the HTTP status (200 for success:false)."""

    def __init__(self, message: str, *, status: int, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status


class ServiceRejected(OrderRejected):
    """The service refused the request (HTTP 400, or a failed transaction): nothing was done."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class RateLimiter:
    """Token bucket: at most `rate` calls per second on average, `burst` at once; plus a 429 block."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._stamp = clock()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    def block(self, seconds: float) -> None:
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    @property
    def blocked_for(self) -> float:
        return max(0.0, self._blocked_until - self._clock())

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._blocked_until - now
                if wait <= 0:
                    self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                    self._stamp = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self.rate
                await asyncio.sleep(wait)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _message(body: bytes, content_type: str) -> str:
    """The service's own words from an error body: its errors[].msg, a proxy's error, or an HTML page's title."""
    raw = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            msgs = [str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in errors]
            return "; ".join(msgs)
        for key in ("error", "message", "msg"):
            if data.get(key):
                return str(data[key])
    if "html" in content_type or raw.lower().startswith(("<!doctype", "<html")):
        title = re.search(r"<title[^>]*>(.*?)</title>", raw, re.I | re.S)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", raw, re.I | re.S)
        found = (title or heading)
        raw = _TAGS.sub(" ", found.group(1) if found else raw)
        return "an HTML error page: " + " ".join(raw.split())[:120]
    return " ".join(raw.split())[:200] or "no message"


class Transport:
    def __init__(
        self, base_url: str, *, timeout: float = 8.0, read_attempts: int = 4, backoff: float = 0.1,
        max_backoff: float = 2.0, rate: float = 20.0, burst: int = 10, client: httpx.AsyncClient | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.read_attempts = max(1, read_attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.limiter = RateLimiter(rate, burst)
        self._rng = rng
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self.requests = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
        read: bool, deadline: float | None = None, empty_ok: bool = False,
    ) -> Any:
        """The `result` of a successful call (None for an accepted empty body when `empty_ok`)."""
        limit = self.timeout if deadline is None else deadline
        what = f"{method} {path}"
        try:
            async with asyncio.timeout(limit):
                return await self._attempts(method, path, params, body, read, empty_ok)
        except TimeoutError:
            raise VenueTimeout(f"mango_v3: {what}: no answer within {limit:g} s") from None

    async def _attempts(self, method: str, path: str, params: Any, body: Any, read: bool, empty_ok: bool) -> Any:
        attempt = 0
        while True:
            try:
                return await self._once(method, path, params, body, read, empty_ok)
            except (OrderRejected, NotSent) as exc:
                if not read or isinstance(exc, OrderRejected):
                    raise
                error: VenueError = exc
            except VenueError as exc:
                if not read or not exc.retryable:
                    raise
                error = exc
            attempt += 1
            if attempt >= self.read_attempts:
                raise error
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * (0.5 + self._rng() / 2)
            await asyncio.sleep(max(delay, error.retry_after or 0.0))

    async def _once(self, method: str, path: str, params: Any, body: Any, read: bool, empty_ok: bool) -> Any:
        what = f"{method} {path}"
        if self.limiter.blocked_for > 0 and not read:
            # A write is never queued behind a 429: refuse now, provably unsent, so nothing waits blind.
            raise RateLimited(f"mango_v3: {what}: rate limited for {self.limiter.blocked_for:.1f} s more",
                              retry_after=self.limiter.blocked_for)
        await self.limiter.acquire()
        self.requests += 1
        try:
            response = await self._client.request(method, self.base_url + path, params=params, json=body)
            content = response.content
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise NotSent(f"mango_v3: {what}: cannot connect to the service ({type(exc).__name__})") from None
        except httpx.TimeoutException:
            raise VenueTimeout(f"mango_v3: {what}: the service did not answer in time") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise VenueTimeout(f"mango_v3: {what}: the connection dropped before the answer "
                               f"({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise VenueTimeout(f"mango_v3: {what}: transport error ({type(exc).__name__})") from None
        status = response.status_code
        kind = response.headers.get("content-type", "")
        if status == 429:
            wait = retry_after(response.headers.get("retry-after"))
            self.limiter.block(wait if wait is not None else 1.0)
            raise RateLimited(f"mango_v3: {what}: too many requests (429){_after(wait)}: {_message(content, kind)}",
                              retry_after=wait)
        if status >= 400 or status < 200:
            message = f"mango_v3: {what}: HTTP {status}: {_message(content, kind)}"
            if status == 400 or (status == 500 and "transaction failed" in message.lower()
                                 and "json" in kind):
                raise ServiceRejected(message, status=status)
            raise ServiceError(message, status=status, retryable=status >= 500)
        if not content.strip():
            if empty_ok:
                return None
            raise ServiceError(f"mango_v3: {what}: empty answer (HTTP {status})", status=status, retryable=True)
        try:
            data = json.loads(content)
        except ValueError:
            raise ServiceError(f"mango_v3: {what}: malformed or truncated JSON (HTTP {status}, "
                               f"{len(content)} bytes): {_message(content, kind)[:80]}", status=status,
                               retryable=True) from None
        if not isinstance(data, dict):
            raise ServiceError(f"mango_v3: {what}: unexpected answer {str(data)[:80]}", status=status, retryable=True)
        if data.get("success") is not True:
            detail = _message(content, kind) if data.get("success") is False or "errors" in data else "no success flag"
            raise ServiceError(f"mango_v3: {what}: the service said no: {detail}", status=status, retryable=False)
        return data.get("result")


def _after(wait: float | None) -> str:
    return "" if wait is None else f", retry after {wait:g} s"
