"""Solana JSON-RPC over httpx: send, confirm, block height, balances and mint decimals.

sendTransaction errors are sorted the way the node means them: a preflight refusal (-32002 blockhash
not found or a simulated program error such as Jupiter's 6001 slippage, -32003/-32013/-32015) and an
unhealthy node (-32005) or a 429 never forwarded the transaction: "not sent". A timeout or a broken
connection after the request went out is "maybe sent". -32002 AlreadyProcessed is the one preflight
refusal that means the opposite: these bytes were processed before, so they were sent.
"""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass
from typing import Any

from grace_desktop.venues.base import NotSent, OrderRejected, VenueError
from grace_desktop.venues.spot.http import JsonApi

NOT_FORWARDED = {-32002, -32003, -32013, -32015}
NODE_UNHEALTHY = -32005
PROGRAM_ERRORS = {6001: "slippage tolerance exceeded", 6017: "exact-out amount not matched",
                  6024: "insufficient funds", 6025: "invalid token account"}


class RpcError(VenueError):
    def __init__(self, message: str, code: int | None, *, retryable: bool = False, data: Any = None) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code
        self.data = data if isinstance(data, dict) else {}


class Preflight(OrderRejected):
    """The node simulated the transaction and refused it: not sent (safe to re-quote)."""


class NodeUnhealthy(NotSent):
    """The node is behind or unhealthy and forwarded nothing."""


@dataclass(frozen=True, slots=True)
class SigStatus:
    slot: int
    confirmation: str | None  # processed | confirmed | finalized
    err: Any  # None: succeeded

    @property
    def landed(self) -> bool:
        return self.confirmation in ("confirmed", "finalized")


def describe_tx_error(err: Any, message: str = "") -> str:
    """A TransactionError (or the node's message) in words, program error codes named."""
    code = None
    if isinstance(err, dict) and "InstructionError" in err:
        detail = err["InstructionError"][1] if len(err["InstructionError"]) > 1 else None
        if isinstance(detail, dict) and "Custom" in detail:
            code = int(detail["Custom"])
    if code is None:
        found = re.search(r"custom program error: (0x[0-9a-fA-F]+)", message)
        if found:
            code = int(found.group(1), 16)
    if code is not None:
        return f"program error {code} ({PROGRAM_ERRORS.get(code, 'see the program logs')})"
    if isinstance(err, str):
        return {"BlockhashNotFound": "blockhash not found (expired)"}.get(err, err)
    return message or str(err)


def already_processed(exc: RpcError) -> bool:
    return exc.data.get("err") == "AlreadyProcessed" or "already been processed" in str(exc)


class SolanaRpc:
    def __init__(self, url: str, *, deadline: float = 5.0, interval: float = 0.0, **kwargs: Any) -> None:
        self.api = JsonApi("RPC", url, interval=interval, deadline=deadline, **kwargs)
        self._ids = itertools.count(1)

    async def close(self) -> None:
        await self.api.close()

    async def call(self, method: str, params: list[Any], *, deadline: float | None = None) -> Any:
        status, body = await self.api.call("POST", "", json={"jsonrpc": "2.0", "id": next(self._ids),
                                                             "method": method, "params": params},
                                           deadline=deadline)
        if not isinstance(body, dict):
            raise VenueError(f"RPC {method}: HTTP {status}, not a JSON-RPC reply")
        error = body.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
            if code == NODE_UNHEALTHY:
                behind = (error.get("data") or {}).get("numSlotsBehind") if isinstance(error, dict) else None
                raise NodeUnhealthy(f"RPC node unhealthy{f' ({behind} slots behind)' if behind else ''}")
            data = error.get("data") if isinstance(error, dict) else None
            said = f"{message} ({code})" if code is not None else (message or f"HTTP {status}")
            raise RpcError(f"RPC {method}: {said}", code, retryable=code in (-32004, -32014, -32016),
                           data=data)
        if status >= 400:
            raise VenueError(f"RPC {method}: HTTP {status}")
        return body.get("result")

    async def send_transaction(self, raw: bytes) -> str:
        """Send signed bytes; the signature on acceptance. Preflight refusals raise `Preflight`."""
        params = [base64.b64encode(raw).decode(), {"encoding": "base64", "preflightCommitment": "confirmed",
                                                   "maxRetries": 0}]
        try:
            return str(await self.call("sendTransaction", params))
        except RpcError as exc:
            if exc.code == -32002 and already_processed(exc):
                return ""  # these very bytes were processed before: sent; the signature's status tells the rest
            if exc.code in NOT_FORWARDED:
                raise Preflight(f"not sent: {describe_tx_error(exc.data.get('err'), str(exc))}") from None
            raise

    async def signature_status(self, signature: str) -> SigStatus | None:
        result = await self.call("getSignatureStatuses", [[signature], {"searchTransactionHistory": True}])
        value = (result or {}).get("value") or [None]
        entry = value[0]
        if entry is None:
            return None
        return SigStatus(int(entry.get("slot") or 0), entry.get("confirmationStatus"), entry.get("err"))

    async def block_height(self) -> int:
        return int(await self.call("getBlockHeight", [{"commitment": "confirmed"}]))

    async def health(self) -> str:
        return str(await self.call("getHealth", []))

    async def decimals(self, mint: str) -> int:
        result = await self.call("getTokenSupply", [mint])
        return int(result["value"]["decimals"])

    async def balance(self, owner: str, mint: str, *, native: bool) -> int:
        """The wallet's balance of `mint` in smallest units (native SOL: lamports in the wallet itself)."""
        if native:
            result = await self.call("getBalance", [owner, {"commitment": "confirmed"}])
            return int(result["value"])
        result = await self.call("getTokenAccountsByOwner", [owner, {"mint": mint},
                                                             {"encoding": "jsonParsed", "commitment": "confirmed"}])
        total = 0
        for account in result.get("value", []):
            info = account["account"]["data"]["parsed"]["info"]
            total += int(info["tokenAmount"]["amount"])
        return total

    async def account_data(self, address: str) -> bytes | None:
        """An account's raw data (None when it does not exist)."""
        result = await self.call("getAccountInfo", [address, {"encoding": "base64", "commitment": "confirmed"}])
        value = (result or {}).get("value")
        if not value:
            return None
        data = value.get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise VenueError(f"RPC getAccountInfo {address}: data not in base64")
        return base64.b64decode(data[0])
