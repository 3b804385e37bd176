"""Loopback HTTP servers speaking the documented contracts over a `Chain`: Jupiter Swap API v2
(/swap/v2/order, /swap/v2/execute), Jupiter Price v3 (/price/v3), GMGN's router
(/defi/router/v1/sol/tx/get_swap_route, /txproxy/v1/send_transaction,
/defi/router/v1/sol/tx/get_transaction_status) on one port, Solana JSON-RPC on another.

Faults are queued per endpoint (`fault("execute", "quote_expired")`), each used by one call:
"429", "lose_reply" (act, then drop the connection unanswered), "quote_expired" (-2003),
"failed_to_land" (-1000), "rfq_failed_after_landing" (-2000 for a swap that did land), "blockhash"
(-32002), "slippage" (6001 in preflight), "already_processed" (-32002 for bytes that landed),
"unhealthy" (-32005), "relay_error" (GMGN's send answering code != 0, nothing relayed), "bad_request"
(/execute's 400 with no execution code).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter, defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.venues.spot.chain import Chain, ChainError

GMGN_KEY = "test-route-key"


class Loopback:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.faults: dict[str, deque[str]] = defaultdict(deque)
        self.calls: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self.params: dict[str, dict[str, str]] = {}
        self.submitted: list[bytes] = []  # every signed transaction handed to us, router or RPC
        # Documented per-key limits, scaled for tests: bucket ("jupiter": /order and /price share it;
        # "gmgn": every GMGN call) -> the shortest gap allowed between two calls; faster ones get a 429.
        self.pace: dict[str, float] = {}
        self.too_fast: Counter[str] = Counter()
        self._last_call: dict[str, float] = {}
        self.router = _serve(self, _RouterHandler)
        self.rpc = _serve(self, _RpcHandler)

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.router.server_address[1]}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc.server_address[1]}"

    def fault(self, endpoint: str, kind: str, times: int = 1) -> None:
        self.faults[endpoint].extend([kind] * times)

    def over_limit(self, endpoint: str) -> bool:
        bucket = "jupiter" if endpoint in ("order", "price") else "gmgn" if endpoint.startswith("gmgn") else None
        gap = self.pace.get(bucket or "")
        if gap is None or bucket is None:
            return False
        with self.chain.lock:
            now = time.monotonic()
            last = self._last_call.get(bucket)
            if last is not None and now - last < gap:
                self.too_fast[endpoint] += 1
                return True
            self._last_call[bucket] = now
            return False

    def take(self, endpoint: str) -> str | None:
        queue = self.faults.get(endpoint)
        return queue.popleft() if queue else None

    def close(self) -> None:
        for server in (self.router, self.rpc):
            server.shutdown()
            server.server_close()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (a venue closing mid-poll) is not a server failure


def _serve(loop: Loopback, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.loopback = loop  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True, name="spot-loopback").start()
    return server


class _Base(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    @property
    def lb(self) -> Loopback:
        return self.server.loopback  # type: ignore[attr-defined,no-any-return]

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def drop(self) -> None:
        """The reply is lost: the connection closes without an answer."""
        self.close_connection = True
        self.connection.close()

    def body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def too_many(self, name: str) -> None:
        """A 429 with the headers each API documents: Jupiter's x-ratelimit-*, GMGN's X-RateLimit-Reset
        (unix seconds); an RPC provider's plain Retry-After."""
        if name in ("order", "price", "execute"):
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-current": "60",
                       "x-ratelimit-reset": str(int(time.time()) + 1)}
        elif name.startswith("gmgn"):
            headers = {"X-RateLimit-Reset": str(int(time.time()) + 1)}
        else:
            headers = {"retry-after": "1"}
        self.reply(429, {"error": "Too many requests"}, headers)

    def html(self, status: int, text: str) -> None:
        data = f"<!DOCTYPE html><html><body>{text}</body></html>".encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=UTF-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _RouterHandler(_Base):
    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        name = {"/swap/v2/order": "order", "/price/v3": "price",
                "/defi/router/v1/sol/tx/get_swap_route": "gmgn_route",
                "/defi/router/v1/sol/tx/get_transaction_status": "gmgn_status"}.get(url.path)
        if name is None:
            return self.reply(404, {"error": "not found"})
        self.lb.calls[name] += 1
        self.lb.headers[name] = {k.lower(): v for k, v in self.headers.items()}
        self.lb.params[name] = q
        if self.lb.over_limit(name) or self.lb.take(name) == "429":
            return self.too_many(name)
        chain = self.lb.chain
        if name == "price":
            with chain.lock:
                ids = [i for i in q.get("ids", "").split(",") if i]
                return self.reply(200, {m: {"usdPrice": chain.usd[m], "decimals": chain.decimals[m], "blockId": chain.height}
                                        for m in ids if m in chain.usd})
        if name == "gmgn_status":
            status = chain.statuses.get(q.get("hash", ""))
            expired = status is None and chain.height > int(q.get("last_valid_height", 0))
            return self.reply(200, {"code": 0, "msg": "success", "data": {
                "success": bool(status and status["err"] is None), "failed": bool(status and status["err"]),
                "expired": expired}})
        if name == "gmgn_route":
            if self.headers.get("x-route-key") != GMGN_KEY:
                return self.html(403, "Access denied")  # what GMGN's edge answers, not JSON
            bps = round(float(q["slippage"]) * 100)  # GMGN takes percent
            quote = chain.quote(q["from_address"], q["token_in_address"], q["token_out_address"], int(q["in_amount"]), bps)
            return self.reply(200, {"code": 0, "msg": "success", "data": {
                "quote": {"inputMint": quote.input_mint, "inAmount": str(quote.in_units), "outputMint": quote.output_mint,
                          "outAmount": str(quote.out_units), "otherAmountThreshold": str(quote.min_out),
                          "swapMode": "ExactIn", "slippageBps": bps, "platformFee": None, "priceImpactPct": "0",
                          "routePlan": [], "contextSlot": chain.height, "timeTaken": 0.01},
                "raw_tx": {"swapTransaction": base64.b64encode(chain.unsigned(quote)).decode(),
                           "lastValidBlockHeight": quote.last_valid, "prioritizationFeeLamports": 0,
                           "recentBlockhash": ""}}})
        request_id = f"req-{self.lb.calls[name]}"
        try:  # without a taker: a quote only, its transaction null
            quote = chain.quote(q.get("taker") or "11111111111111111111111111111111", q["inputMint"], q["outputMint"],
                                int(q["amount"]), int(q.get("slippageBps", 50)))
        except KeyError as exc:
            return self.reply(400, {"requestId": request_id, "error": f"unknown mint {exc}"})
        self.reply(200, {
            "mode": "ultra", "inputMint": quote.input_mint, "outputMint": quote.output_mint,
            "inAmount": str(quote.in_units), "outAmount": str(quote.out_units),
            "otherAmountThreshold": str(quote.min_out), "swapMode": "ExactIn", "slippageBps": int(q.get("slippageBps", 50)),
            "priceImpact": 0, "routePlan": [], "feeBps": 0, "signatureFeeLamports": 5000,
            "prioritizationFeeLamports": 0, "rentFeeLamports": 0, "router": "metis",
            "transaction": base64.b64encode(chain.unsigned(quote)).decode() if q.get("taker") else None,
            "lastValidBlockHeight": str(quote.last_valid), "requestId": f"req-{quote.quote_id}",
            "gasless": False, "taker": q["taker"]})

    def do_POST(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        name = {"/swap/v2/execute": "execute", "/txproxy/v1/send_transaction": "gmgn_send"}.get(path)
        if name is None:
            return self.reply(404, {"error": "not found"})
        self.lb.calls[name] += 1
        self.lb.headers[name] = {k.lower(): v for k, v in self.headers.items()}
        body = self.body()  # read whole even when refused: the connection may carry the next request
        if self.lb.over_limit(name):
            return self.too_many(name)
        raw = base64.b64decode(body["signedTransaction"] if name == "execute" else body["signedTx"])
        self.lb.submitted.append(raw)
        fault = self.lb.take(name)
        if fault == "429":
            return self.too_many(name)
        if name == "execute" and fault == "bad_request":  # refused as a request: "400 -> {requestId, error}"
            return self.reply(400, {"requestId": body.get("requestId", ""), "error": "Invalid request body"})
        if name == "execute" and fault == "quote_expired":
            return self.reply(200, {"status": "Failed", "code": -2003, "error": "Quote expired", "signature": ""})
        if name == "execute" and fault == "failed_to_land":
            return self.reply(200, {"status": "Failed", "code": -1000, "error": "Failed to land", "signature": ""})
        if name == "execute" and fault == "rfq_failed_after_landing":  # it landed; the answer says otherwise
            landed = self.lb.chain.land(raw)
            return self.reply(200, {"status": "Failed", "code": -2000, "error": "Failed to land", "signature": landed})
        if name == "gmgn_send" and fault == "relay_error":  # a code != 0 GMGN does not explain
            return self.reply(200, {"code": 40001, "msg": "relay failed", "data": None})
        try:
            signature = self.lb.chain.land(raw)
        except ChainError as exc:
            if name == "execute":
                code = -1004 if exc.err == "BlockhashNotFound" else -1002  # invalid block height; invalid tx
                return self.reply(200, {"status": "Failed", "code": code, "error": exc.message})
            return self.reply(200, {"code": 1, "msg": exc.message})
        if fault == "lose_reply":
            return self.drop()
        if name == "execute":
            _, quote = self.lb.chain.check(raw)
            return self.reply(200, {"status": "Success", "signature": signature, "code": 0,
                                    "totalInputAmount": str(quote.in_units), "totalOutputAmount": str(quote.out_units),
                                    "inputAmountResult": str(quote.in_units), "outputAmountResult": str(quote.out_units)})
        self.reply(200, {"code": 0, "msg": "success", "data": {"hash": signature, "resArr": [{"hash": signature, "err": None}]}})


class _RpcHandler(_Base):
    def do_POST(self) -> None:  # noqa: N802
        request = self.body()
        method, params, rid = request["method"], request.get("params") or [], request.get("id")
        self.lb.calls[method] += 1
        fault = self.lb.take(method)
        if fault == "429":
            return self.too_many(method)
        if fault == "unhealthy":
            return self.reply(200, {"jsonrpc": "2.0", "id": rid, "error": {
                "code": -32005, "message": "Node is unhealthy", "data": {"numSlotsBehind": 120}}})
        chain = self.lb.chain
        try:
            result = self._call(chain, method, params, fault)
        except ChainError as exc:
            data = {"err": exc.err, "logs": [], "accounts": None, "unitsConsumed": 0} if exc.err is not None else None
            return self.reply(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": exc.code, "message": exc.message,
                                                                           **({"data": data} if data else {})}})
        if fault == "lose_reply":
            return self.drop()
        self.reply(200, {"jsonrpc": "2.0", "id": rid, "result": result})

    def _call(self, chain: Chain, method: str, params: list[Any], fault: str | None) -> Any:
        context = {"slot": chain.height}
        if method == "sendTransaction":
            raw = base64.b64decode(params[0])
            self.lb.submitted.append(raw)
            if fault == "blockhash":
                raise ChainError(-32002, "Transaction simulation failed: Blockhash not found", "BlockhashNotFound")
            if fault == "slippage":
                chain.check(raw)
                raise ChainError(-32002, "Transaction simulation failed: Error processing Instruction 0: custom "
                                 "program error: 0x1771", {"InstructionError": [0, {"Custom": 6001}]})
            if fault == "on_chain_slippage":
                return chain.fail_on_chain(raw, 6001)
            if fault == "already_processed":  # another path delivered these bytes first
                chain.land(raw)
                raise ChainError(-32002, "Transaction simulation failed: This transaction has already been processed",
                                 "AlreadyProcessed")
            return chain.land(raw)
        if method == "getSignatureStatuses":
            with chain.lock:
                return {"context": context, "value": [chain.statuses.get(s) for s in params[0]]}
        if method == "getAccountInfo":
            with chain.lock:
                data = chain.tables.get(params[0])
            return {"context": context, "value": None if data is None else {
                "data": [base64.b64encode(data).decode(), "base64"], "executable": False, "lamports": 1_000_000,
                "owner": "AddressLookupTab1e1111111111111111111111111", "rentEpoch": 0, "space": len(data)}}
        if method == "getBlockHeight":
            return chain.height
        if method == "getHealth":
            return "ok"
        if method == "getTokenSupply":
            return {"context": context, "value": {"amount": "1000000000000", "decimals": chain.decimals[params[0]],
                                                  "uiAmountString": "1000"}}
        if method == "getBalance":
            from grace_desktop.venues.spot.tokens import SOL_MINT
            return {"context": context, "value": chain.balance(params[0], SOL_MINT)}
        if method == "getTokenAccountsByOwner":
            mint = params[1]["mint"]
            amount = chain.balance(params[0], mint)
            return {"context": context, "value": [{"pubkey": "11111111111111111111111111111111", "account": {
                "data": {"parsed": {"info": {"mint": mint, "owner": params[0], "tokenAmount": {
                    "amount": str(amount), "decimals": chain.decimals[mint]}}, "type": "account"}, "program": "spl-token"},
                "lamports": 2039280, "owner": "TokenkegQfeZyiNwAJbNbGKPFXCWuBSf1BgEGrZ5D9", "executable": False}}]}
        raise ChainError(-32601, f"Method not found: {method}")
