"""Routers: quote -> unsigned transaction -> submit -> status, for Jupiter Swap API v2 and GMGN's router.

Both return a `SwapQuote` (amounts as integers in smallest units, the unsigned transaction, its
lastValidBlockHeight); the venue signs it and either hands it back to the router (`submit`) or sends
it over its own RPC (`via_rpc`). `submit` sorts the router's answer: accepted, definitively not sent
(`OrderRejected`, safe to re-quote), or maybe sent (landing unknown: the signature is confirmed over
RPC until its blockhash expires).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Protocol

from grace_desktop.domain.spot import bps_to_percent
from grace_desktop.venues.base import OrderRejected, VenueError, VenueHealth
from grace_desktop.venues.spot.http import JsonApi, RateLimiter

JUPITER_ROOT = "https://api.jup.ag"
GMGN_ROOT = "https://gmgn.ai"
JUPITER_KEYLESS_S = 2.0  # 0.5 requests/s without a key
JUPITER_KEYED_S = 1.0  # free tier: 1 request/s (60 per minute)
GMGN_ANTI_MEV_MIN_FEE = 0.002  # SOL: "fee ... ≥ 0.002 when anti-MEV"
GMGN_S = 5.0  # "each API key is rate-limited to one call every 5 seconds"
# /execute codes that say the transaction was never put on the wire: -1 request unknown/expired,
# -2/-3 invalid signed tx/message, -1002 invalid tx, -1003 not fully signed, -1004 invalid block
# height, -2002 invalid RFQ payload, -2003 quote expired, -2004 swap rejected. Any other failure
# (-1000 failed to land, -1001 unknown, -2000/-2001 their RFQ forms, a code not in this list) may
# still land: its signature is confirmed over RPC until the blockhash expires.
EXECUTE_NOT_SENT = {-1, -2, -3, -1002, -1003, -1004, -2002, -2003, -2004}


@dataclass(frozen=True, slots=True)
class SwapQuote:
    router: str
    input_mint: str
    output_mint: str
    in_units: int
    out_units: int
    min_out_units: int
    transaction: str  # unsigned, as the router sent it
    last_valid_block_height: int
    request_id: str = ""
    network_fee_lamports: int = 0
    via_rpc: bool = False  # we send it over our RPC instead of the router's submit endpoint


@dataclass(frozen=True, slots=True)
class Submitted:
    signature: str
    landed: bool | None = None  # the router confirmed landing (True) / said it failed to land (None: no word)
    detail: str = ""


class MaybeSent(VenueError):
    """The router took the transaction but could not say it landed: confirm over RPC, never re-quote yet."""


class SpotRouter(Protocol):
    name: str

    async def quote(self, *, input_mint: str, output_mint: str, in_units: int, taker: str,
                    slippage_bps: int, max_wait: float | None = None) -> SwapQuote: ...

    async def submit(self, quote: SwapQuote, signed: bytes) -> Submitted: ...

    async def status(self, signature: str, quote: SwapQuote) -> str | None: ...

    async def close(self) -> None: ...


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if value is None or value == "":
        if default is not None:
            return default
        raise VenueError(f"router reply without {key}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise VenueError(f"router reply: {key} is not an integer ({value!r})") from None


class JupiterRouter:
    """Jupiter Swap API v2: GET /swap/v2/order with the taker, POST /swap/v2/execute (or our own RPC)."""

    name = "jupiter"

    def __init__(self, root: str = JUPITER_ROOT, *, api_key: str | None = None, via_rpc: bool = False,
                 deadline: float = 10.0, execute_deadline: float = 60.0, interval: float | None = None,
                 limiter: RateLimiter | None = None) -> None:
        headers = {"x-api-key": api_key} if api_key else {}
        pace = interval if interval is not None else (JUPITER_KEYED_S if api_key else JUPITER_KEYLESS_S)
        self.api = JsonApi("Jupiter", root, interval=pace, deadline=deadline, headers=headers, limiter=limiter)
        self.via_rpc = via_rpc
        self.execute_deadline = execute_deadline
        self.keyed = bool(api_key)

    async def quote(self, *, input_mint: str, output_mint: str, in_units: int, taker: str,
                    slippage_bps: int, max_wait: float | None = None) -> SwapQuote:
        params: dict[str, Any] = {"inputMint": input_mint, "outputMint": output_mint, "amount": str(in_units),
                                  "taker": taker, "slippageBps": slippage_bps, "swapMode": "ExactIn"}
        if self.via_rpc:
            params["excludeRouters"] = "jupiterz"  # no market-maker signature: ours completes the transaction
        status, body = await self.api.call("GET", "/swap/v2/order", params=params, max_wait=max_wait)
        if status >= 400 or not isinstance(body, dict):
            raise OrderRejected(f"Jupiter refused the quote: {_message(body, status)}")
        if not body.get("transaction"):
            reason = body.get("errorMessage") or body.get("error") or "no transaction could be built"
            raise OrderRejected(f"Jupiter could not build the swap: {reason} (code {body.get('errorCode', '?')})")
        fee = _int(body, "signatureFeeLamports", 5000) + _int(body, "prioritizationFeeLamports", 0)
        if body.get("inputMint") != input_mint or body.get("outputMint") != output_mint:
            raise OrderRejected("Jupiter answered a quote for other mints than asked; refused")
        return SwapQuote(
            self.name, input_mint, output_mint, _int(body, "inAmount"), _int(body, "outAmount"),
            _int(body, "otherAmountThreshold"), str(body["transaction"]), _int(body, "lastValidBlockHeight"),
            str(body.get("requestId") or ""), fee, self.via_rpc)

    async def submit(self, quote: SwapQuote, signed: bytes) -> Submitted:
        payload = {"signedTransaction": base64.b64encode(signed).decode(), "requestId": quote.request_id,
                   "lastValidBlockHeight": quote.last_valid_block_height}
        # /execute has its own, much larger bucket; it lands and confirms before answering.
        status, body = await self.api.call("POST", "/swap/v2/execute", json=payload, limited=False,
                                           deadline=self.execute_deadline)
        if not isinstance(body, dict):
            raise MaybeSent(f"Jupiter /execute: HTTP {status} without a JSON answer")
        code = _int(body, "code", 0) if body.get("code") is not None else (0 if body.get("status") == "Success" else -1001)
        signature = str(body.get("signature") or "")
        if body.get("status") == "Success" and code == 0:
            return Submitted(signature, True)
        detail = f"{body.get('error') or 'failed'} ({code})"
        if body.get("code") is None and 400 <= status < 500 and status != 408:
            # A request refused as such ({requestId, error}, no execution code): never executed.
            raise OrderRejected(f"not sent: Jupiter /execute refused the request: {_message(body, status)}")
        if code in EXECUTE_NOT_SENT and status < 500:
            raise OrderRejected(f"not sent: Jupiter /execute refused it: {detail}")
        raise MaybeSent(f"Jupiter /execute: {detail}")

    async def status(self, signature: str, quote: SwapQuote) -> str | None:
        return None  # /execute answers with the outcome; later status is read over RPC

    async def close(self) -> None:
        await self.api.close()


class GmgnRouter:
    """GMGN's Solana router (v1, key-gated): get_swap_route, txproxy send_transaction, get_transaction_status."""

    name = "gmgn"

    def __init__(self, root: str = GMGN_ROOT, *, api_key: str | None, fee_sol: float = 0.0005,
                 anti_mev: bool = False, deadline: float = 10.0, interval: float = GMGN_S) -> None:
        if not api_key:
            raise ValueError("GMGN's router needs its route key (x-route-key); none is configured")
        self.api = JsonApi("GMGN", root, interval=interval, deadline=deadline, headers={"x-route-key": api_key})
        if anti_mev and fee_sol < GMGN_ANTI_MEV_MIN_FEE:
            raise ValueError(f"GMGN's anti-MEV route needs a fee of at least {GMGN_ANTI_MEV_MIN_FEE} SOL")
        self.fee_sol = fee_sol
        self.anti_mev = anti_mev

    async def quote(self, *, input_mint: str, output_mint: str, in_units: int, taker: str,
                    slippage_bps: int, max_wait: float | None = None) -> SwapQuote:
        params = {"token_in_address": input_mint, "token_out_address": output_mint, "in_amount": str(in_units),
                  "from_address": taker, "slippage": bps_to_percent(slippage_bps), "swap_mode": "ExactIn",
                  "fee": self.fee_sol, "is_anti_mev": str(self.anti_mev).lower()}
        status, body = await self.api.call("GET", "/defi/router/v1/sol/tx/get_swap_route", params=params,
                                           max_wait=max_wait)
        data = _gmgn_data(body, status, "quote")
        quote, raw = data.get("quote") or {}, data.get("raw_tx") or {}
        if quote.get("inputMint") != input_mint or quote.get("outputMint") != output_mint:
            raise OrderRejected("GMGN answered a route for other mints than asked; refused")
        if not raw.get("swapTransaction"):
            raise OrderRejected("GMGN's route has no transaction")
        return SwapQuote(
            self.name, input_mint, output_mint, _int(quote, "inAmount"), _int(quote, "outAmount"),
            _int(quote, "otherAmountThreshold"), str(raw["swapTransaction"]), _int(raw, "lastValidBlockHeight"),
            "", 5000 + _int(raw, "prioritizationFeeLamports", 0), False)

    async def submit(self, quote: SwapQuote, signed: bytes) -> Submitted:
        payload = {"chain": "sol", "signedTx": base64.b64encode(signed).decode(), "isAntiMev": self.anti_mev}
        status, body = await self.api.call("POST", "/txproxy/v1/send_transaction", json=payload)
        if isinstance(body, dict) and body.get("code") == 0:
            return Submitted(str((body.get("data") or {}).get("hash") or ""))
        if 400 <= status < 500 and status != 408:  # refused as a request (bad request, key): nothing relayed
            raise OrderRejected(f"not sent: GMGN refused the transaction: {_message(body, status)}")
        # GMGN does not document what a failed relay means: some relays may have taken it already.
        raise MaybeSent(f"GMGN send_transaction: {_message(body, status)}")

    async def status(self, signature: str, quote: SwapQuote) -> str | None:
        params = {"hash": signature, "last_valid_height": quote.last_valid_block_height}
        status, body = await self.api.call("GET", "/defi/router/v1/sol/tx/get_transaction_status", params=params)
        data = _gmgn_data(body, status, "status")
        if data.get("success"):
            return "success"
        if data.get("failed"):
            return "failed"
        if data.get("expired"):
            return "expired"
        return None

    async def close(self) -> None:
        await self.api.close()


def _gmgn_data(body: Any, status: int, what: str) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("code") != 0:
        raise OrderRejected(f"GMGN refused the {what}: {_message(body, status)}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise VenueError(f"GMGN {what}: reply without data")
    return data


def _message(body: Any, status: int) -> str:
    if isinstance(body, dict):
        for key in ("error", "msg", "message", "errorMessage"):
            if body.get(key):
                return f"{body[key]} (HTTP {status})"
    return f"HTTP {status}"


def health_of(name: str, failures: int, last_error: str) -> VenueHealth:
    return VenueHealth(failures < 3, "" if failures < 3 else f"{name}: {last_error}")
