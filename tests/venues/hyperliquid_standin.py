"""A loopback stand-in for Hyperliquid's public `POST /info` endpoint, on 127.0.0.1.

It answers the documented shapes: `{"type": "allMids"}` -> coin -> mid as a string;
`{"type": "candleSnapshot", "req": {coin, interval, startTime, endTime}}` -> a list of
`{"t", "T", "s", "i", "o", "h", "l", "c", "v", "n"}` (numbers as strings, at most
`max_candles`, the most recent ones); `{"type": "metaAndAssetCtxs"}` -> `[meta, ctxs]`.
Anything else is a 422, like the real API's answer to an unknown request.

Faults are queued with `fail_next(...)`: "429" (with Retry-After), "drop" (the connection is
closed after reading the request, without a reply), "500", "garbage" (not JSON) and "hang"
(no reply until the client gives up). A plain asyncio HTTP/1.1 server with keep-alive, so
httpx talks to it exactly as to the real endpoint.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

INTERVAL_S = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14_400,
              "8h": 28_800, "12h": 43_200, "1d": 86_400}


class HyperliquidStandIn:
    def __init__(self, mids: dict[str, str] | None = None, *, max_candles: int = 5000, retry_after: str = "1") -> None:
        self.mids = dict(mids or {"BTC": "67012.5", "ETH": "3490.15", "SOL": "148.93", "JUP": "0.9512",
                                  "kBONK": "0.024871", "DOGE": "0.1234"})
        self.max_candles = max_candles
        self.retry_after = retry_after
        self.faults: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []  # every parsed body, in arrival order
        self.answered = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping = asyncio.Event()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/info"

    async def start(self) -> HyperliquidStandIn:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    def fail_next(self, *faults: str) -> None:
        self.faults.extend(faults)

    def count(self, kind: str) -> int:
        return sum(1 for body in self.requests if body.get("type") == kind)

    # --- HTTP ---------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                fault = self.faults.popleft() if self.faults else None
                if fault == "drop":
                    writer.transport.abort()
                    return
                if fault == "hang":
                    await self._stopping.wait()
                    return
                status, payload, extra = self._answer(method, path, body, fault)
                self.answered += 1
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                head = [f"HTTP/1.1 {status} X", "Content-Type: application/json", f"Content-Length: {len(data)}",
                        *extra]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _answer(self, method: str, path: str, raw: bytes, fault: str | None) -> tuple[int, Any, list[str]]:
        if method != "POST" or path != "/info":
            return 404, {"error": "not found"}, []
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"error": "bad json"}, []
        self.requests.append(body)
        if fault == "429":
            return 429, {"error": "rate limited"}, [f"Retry-After: {self.retry_after}"]
        if fault == "500":
            return 500, {"error": "internal"}, []
        if fault == "garbage":
            return 200, b"<html>gateway</html>", []
        kind = body.get("type") if isinstance(body, dict) else None
        if kind == "allMids":
            return 200, dict(self.mids), []
        if kind == "candleSnapshot":
            return 200, self._candles(body.get("req") or {}), []
        if kind == "metaAndAssetCtxs":
            universe = [{"name": c, "szDecimals": 3, "maxLeverage": 50} for c in self.mids]
            ctxs = [{"markPx": p, "midPx": p, "oraclePx": p, "funding": "0.0000125", "openInterest": "1000",
                     "prevDayPx": p, "dayNtlVlm": "1000000"} for p in self.mids.values()]
            return 200, [{"universe": universe}, ctxs], []
        return 422, {"error": f"unknown request type {kind!r}"}, []

    def _candles(self, req: dict[str, Any]) -> list[dict[str, Any]]:
        """Deterministic candles around the coin's mid for every interval start in [startTime, endTime]."""
        coin, interval = req.get("coin"), req.get("interval")
        if coin not in self.mids or interval not in INTERVAL_S:
            return []
        step = INTERVAL_S[interval] * 1000
        start = -(-int(req["startTime"]) // step) * step
        end = int(req["endTime"])
        times = list(range(start, end + 1, step))[-self.max_candles:]
        mid = float(self.mids[coin])
        out = []
        for i, t in enumerate(times):
            o = mid * (1 + 0.001 * ((i % 7) - 3))
            c = mid * (1 + 0.001 * (((i + 2) % 7) - 3))
            out.append({"t": t, "T": t + step - 1, "s": coin, "i": interval, "o": f"{o:.6g}",
                        "h": f"{max(o, c) * 1.002:.6g}", "l": f"{min(o, c) * 0.998:.6g}", "c": f"{c:.6g}",
                        "v": f"{10 + i % 5}.5", "n": 42})
        return out
