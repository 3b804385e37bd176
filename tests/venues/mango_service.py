"""A loopback mango-v3-service: a real HTTP server on 127.0.0.1 speaking the documented contract.

Routes, validation and shapes follow MANGO_V3_API.md §1 (the `/api` prefix, `{"success","result"}`,
`{"errors":[{"msg"}]}` with 400/500, `/markets/{name}` as a one-element list, `entryPrice` as a
string, place/cancel answering `{"tx"}`, cancel-all an empty 200, a withdrawal success that never
answers, candle resolution in minutes). The account behind it is mango_state.MangoState.

`faults` injects what a broken service or a proxy in front of it answers, per route, for the next
`times` calls: no answer at all, 500, truncated JSON, a connection dropped after executing, a
reply after a delay, 429 with Retry-After, an HTML error page, `success: false`.
`place_calls` counts every POST /api/orders received, per client id; `place_bodies` keeps them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.venues.mango_state import OURS, MangoState, Refused, iso

COINS = ("USDC", "MNGO", "BTC", "ETH", "SOL")
FAULTS = ("no_answer", "500", "truncated", "drop_after", "late", "429", "html", "success_false")


@dataclass
class Fault:
    kind: str  # one of FAULTS
    times: int = 1
    delay: float = 0.0  # "late": seconds before the (executed) reply; "no_answer": how long to hold
    retry_after: float = 1.0

    def __post_init__(self) -> None:
        assert self.kind in FAULTS, self.kind


class MangoService:
    def __init__(self, state: MangoState | None = None) -> None:
        self.state = state or MangoState()
        self.faults: dict[str, Fault] = {}  # "POST /api/orders", "GET /api/positions", ...
        self.place_calls: Counter[str] = Counter()
        self.place_bodies: list[dict[str, Any]] = []  # every place-order body received, as sent
        self.requests: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="mango-service", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def start(self) -> MangoService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def fault(self, route: str, fault: Fault | None) -> None:
        if fault is None:
            self.faults.pop(route, None)
        else:
            self.faults[route] = fault

    def take_fault(self, route: str) -> Fault | None:
        fault = self.faults.get(route)
        if fault is None:
            return None
        fault.times -= 1
        if fault.times <= 0:
            del self.faults[route]
        return fault

    def hold(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # ----- routes -------------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """(status, payload); payload None means an empty body; raises _Hang for "never answer"."""
        s = self.state
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] != ["api"]:
            return 404, None
        parts = parts[1:]
        with s.lock:
            if method == "GET" and parts == ["coins"]:
                return ok([{"name": c, "id": c} for c in COINS])
            if method == "GET" and parts == ["markets"]:
                return ok([self._market(n) for n in s.markets])
            if method == "GET" and len(parts) >= 2 and parts[0] == "markets":
                name = parts[1]
                if name not in s.markets:
                    return invalid(name, f"Market {name} not supported!", "market_name", "params")
                if len(parts) == 2:
                    return ok([self._market(name)])
                if parts[2:] == ["orderbook"]:
                    return self._book(name, query.get("depth", "20"))
                if parts[2:] == ["trades"]:
                    return ok(list(reversed(s.trades.get(name, []))))
                if parts[2:] == ["candles"]:
                    return self._candles(name, query)
            if method == "GET" and parts == ["wallet", "balances"]:
                usdc = round(s.usdc, 9)
                zero = {"free": 0, "spotBorrow": 0, "total": 0, "usdValue": 0, "availableWithoutBorrow": 0}
                sol = round(s.sol_spot, 9)
                spot = {**zero, "free": sol, "total": sol, "availableWithoutBorrow": sol,
                        "usdValue": sol * s.markets["SOL-PERP"].price} if sol else zero
                return ok([{"coin": "SOL-SPOT", **spot}, {"coin": "USDC", "free": usdc, "spotBorrow": 0, "total": usdc,
                                                          "usdValue": usdc, "availableWithoutBorrow": usdc}])
            if method == "POST" and parts == ["wallet", "withdrawals"]:
                if not isinstance(body, dict) or body.get("coin") not in COINS or not _numeric(body.get("size")):
                    return invalid(body, "Invalid value", "size", "body")
                if float(body["size"]) > s.usdc:
                    return 500, {"errors": [{"msg": "Transaction failed: insufficient funds"}]}
                s.usdc -= float(body["size"])
                raise _Hang  # response.status(200) without .send(): the request hangs
            if method == "GET" and parts == ["positions"]:
                return ok(self._positions())
            if method == "GET" and parts == ["orders"]:
                market = query.get("market")
                return ok([self._order(r) for r in s.resting if market in (None, r.market)])
            if method == "POST" and parts == ["orders"]:
                return self._place(body)
            if method == "DELETE" and parts == ["orders"]:
                s.cancel_all()
                return 200, None
            if method == "DELETE" and parts[:2] == ["orders", "by_client_id"] and len(parts) == 3:
                return self._cancelled(s.cancel(client_id=parts[2]))
            if method == "DELETE" and parts[:1] == ["orders"] and len(parts) == 2:
                return self._cancelled(s.cancel(order_id=parts[1]))
            if method == "GET" and parts == ["fills"]:
                market = query.get("market", "MNGO-SPOT")
                if market not in s.markets:
                    return invalid(market, f"Perp Market {market} not supported!", "market", "query")
                if query.get("page", "1") not in ("0", "1"):
                    return ok([])
                return ok(list(reversed(s.fills.get(market, []))))
            if method == "GET" and parts == ["mango", "account"]:
                health = s.init_health()
                margins = [{"name": n, "marginAvailable": max(0.0, health) * p.init_lev} for n, p in s.markets.items()]
                return ok({"spotOpenOrdersAccounts": [], "marketMarginAvailable": margins})
        return 404, None

    def _market(self, name: str) -> dict[str, Any]:
        p = self.state.markets[name]
        bid, ask = self.state.quote(p)
        trades = self.state.trades.get(name)
        last = trades[-1]["price"] if trades else None
        return {"name": name, "baseCurrency": p.base, "quoteCurrency": "USDC", "type": "futures", "underlying": p.base,
                "ask": ask, "bid": bid, "last": last, "price": last, "priceIncrement": p.tick,
                "sizeIncrement": p.lot}

    def _book(self, name: str, depth: str) -> tuple[int, Any]:
        if not depth.isdigit() or not 20 <= int(depth) <= 100:
            return invalid(depth, "Depth should be a number between 20 and 100!", "depth", "query")
        p = self.state.markets[name]
        size = p.qty(p.depth_lots)
        asks = [[p.px(p.oracle_lots + 1 + i), size] for i in range(int(depth))]
        bids = [[p.px(p.oracle_lots - 1 - i), size] for i in range(int(depth)) if p.oracle_lots - 1 - i > 0]
        return ok({"asks": asks, "bids": bids})

    def _candles(self, name: str, query: dict[str, str]) -> tuple[int, Any]:
        step = int(query.get("resolution", "60")) * 60  # TradingView resolution: minutes
        start, end = float(query.get("start_time", 0)), float(query.get("end_time", time.time()))
        buckets: dict[int, list[float]] = {}
        for ts, price in self.state.history.get(name, []):
            if start <= ts <= end:
                buckets.setdefault(int(ts // step * step), []).append(price)
        if not buckets:
            return 500, {"errors": [{"msg": "Cannot read properties of undefined (reading 'map')"}]}  # upstream no_data
        return ok([{"time": t, "open": ps[0], "high": max(ps), "low": min(ps), "close": ps[-1], "volume": 0.0}
                   for t, ps in sorted(buckets.items())])

    def _positions(self) -> list[dict[str, Any]]:
        out = []
        for name, held in self.state.holdings.items():
            p = self.state.markets[name]
            net = p.qty(held.base_lots)
            out.append({"cost": abs(net * p.price), "entryPrice": repr(held.entry), "future": name, "netSize": net,
                        "recentBreakEvenPrice": held.entry, "side": "long" if net > 0 else "short", "size": abs(net),
                        "unrealizedPnl": net * (p.price - held.entry)})
        return out

    def _order(self, r: Any) -> dict[str, Any]:
        p = self.state.markets[r.market]
        row = {"createdAt": iso(r.created), "future": r.market, "id": r.order_id, "market": r.market,
               "price": p.px(r.price_lots), "side": r.side, "size": p.qty(r.size_lots), "status": "open",
               "type": "limit"}
        if r.client_id:
            row["clientId"] = str(r.client_id)
        return row

    def _place(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return invalid(body, "Invalid value", "market", "body")
        market = body.get("market")
        if market not in self.state.markets:
            return invalid(market, f"Market {market} not supported!", "market", "body")
        checks = [("side", body.get("side") in ("buy", "sell")), ("type", body.get("type") in ("limit", "market")),
                  ("size", _numeric(body.get("size"))), ("clientId", _numeric(body.get("clientId")))]
        checks += [(flag, isinstance(body.get(flag), bool)) for flag in ("reduceOnly", "ioc", "postOnly", "postOnlySlide")]
        for param, good in checks:
            if not good:
                return invalid(body.get(param, ""), "Invalid value", param, "body")
        if body["type"] != "market" and not _numeric(body.get("price")):
            return 400, {"errors": [{"msg": "missing price"}]}
        try:
            self.state.place(body)
        except Refused as exc:
            return exc.status, {"errors": [{"msg": str(exc)}]}
        return ok({"tx": _signature()})

    def _cancelled(self, found: bool) -> tuple[int, Any]:
        return ok({"tx": _signature()}) if found else (400, {"errors": [{"msg": "Order not found!"}]})


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (its deadline) resets the connection: expected here, not news


class _Hang(Exception):
    pass


def ok(result: Any) -> tuple[int, Any]:
    return 200, {"success": True, "result": result}


def invalid(value: Any, msg: str, param: str, location: str) -> tuple[int, Any]:
    return 400, {"errors": [{"value": value, "msg": msg, "param": param, "location": location}]}


def _numeric(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


_sigs = iter(range(1, 10**9))


def _signature() -> str:
    return f"5h3{next(_sigs):060d}"[:88]


def _handler(service: MangoService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet: tests read counters, not logs
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            split = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._send(400, {"errors": [{"msg": "Invalid JSON body"}]})
            route = f"{method} {split.path.rstrip('/')}"
            service.requests[route] += 1
            if route == "POST /api/orders" and isinstance(body, dict):
                service.place_calls[str(body.get("clientId"))] += 1
                service.place_bodies.append(body)
            fault = service.take_fault(route)
            if fault is not None and fault.kind in ("no_answer", "500", "429", "html", "success_false"):
                return self._refuse(fault)  # nothing executed
            try:
                status, payload = service.route(method, split.path, query, body)
            except _Hang:
                service.hold(30)
                self.close_connection = True
                return None
            if fault is not None and fault.kind == "drop_after":
                self.close_connection = True  # executed; the answer never leaves
                return None
            if fault is not None and fault.kind == "late":
                service.hold(fault.delay)
            data = b"" if payload is None else json.dumps(payload).encode()
            if fault is not None and fault.kind == "truncated":
                data = data[: max(1, len(data) // 2)]
            return self._raw(status, data, "application/json; charset=utf-8")

        def _refuse(self, fault: Fault) -> None:
            if fault.kind == "no_answer":
                service.hold(fault.delay or 30)
                self.close_connection = True
                return None
            if fault.kind == "500":
                return self._send(500, {"errors": [{"msg": "Internal Server Error"}]})
            if fault.kind == "429":
                return self._raw(429, b"<html><body>Too Many Requests</body></html>", "text/html",
                                 {"Retry-After": f"{fault.retry_after:g}"})
            if fault.kind == "html":
                page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>" \
                       b"<hr><center>nginx/1.21.6</center></body></html>"
                return self._raw(502, page, "text/html")
            return self._send(200, {"success": False, "error": "Not logged in: service paused by the operator"})

        def _send(self, status: int, payload: Any) -> None:
            self._raw(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

        def _raw(self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


__all__ = ["OURS", "Fault", "MangoService", "MangoState"]
