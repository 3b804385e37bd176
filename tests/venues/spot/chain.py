"""A tiny Solana for the loopback servers: balances, blockhashes, quotes that are real solders v0
transactions, and signature statuses. Thread-safe (the HTTP servers answer on their own threads).

A quote's transaction pays from the taker, names the input and output mints among its account keys
(its static keys, or with `mints_in_table` an address lookup table served by getAccountInfo)
and carries the quote id in its instruction data. Landing one checks every required signature, the
blockhash's lifetime and the balances, then moves the quoted amounts and the network fee.
"""

from __future__ import annotations

import itertools
import struct
import threading
from dataclasses import dataclass, field

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT

SWAP_PROGRAM = Pubkey.new_unique()
FEE_LAMPORTS = 5000
VALID_BLOCKS = 150


class ChainError(Exception):
    def __init__(self, code: int, message: str, err: object = None) -> None:
        super().__init__(message)
        self.code, self.message, self.err = code, message, err


@dataclass
class Quote:
    quote_id: int
    taker: str
    input_mint: str
    output_mint: str
    in_units: int
    out_units: int
    min_out: int
    last_valid: int
    message: bytes = b""


@dataclass
class Chain:
    height: int = 1000
    decimals: dict[str, int] = field(default_factory=lambda: {SOL_MINT: 9, USDC_MINT: 6})
    usd: dict[str, float] = field(default_factory=lambda: {SOL_MINT: 100.0, USDC_MINT: 1.0})
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    quotes: dict[bytes, Quote] = field(default_factory=dict)
    statuses: dict[str, dict[str, object]] = field(default_factory=dict)
    landed: list[str] = field(default_factory=list)  # signatures that swapped, in order
    accepted: list[str] = field(default_factory=list)  # every sendTransaction/execute that took bytes
    blockhashes: dict[str, int] = field(default_factory=dict)  # blockhash -> last valid height
    mints_in_table: bool = False  # quotes load both mints from an address lookup table, not static keys
    tables: dict[str, bytes] = field(default_factory=dict)  # lookup table address -> its account data

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    # ----- state ------------------------------------------------------------------------------
    def fund(self, owner: Pubkey | str, mint: str, units: int) -> None:
        with self.lock:
            self.balances[(str(owner), mint)] = self.balances.get((str(owner), mint), 0) + units

    def balance(self, owner: str, mint: str) -> int:
        with self.lock:
            return self.balances.get((owner, mint), 0)

    def advance(self, blocks: int) -> None:
        with self.lock:
            self.height += blocks

    def set_price(self, mint: str, usd: float) -> None:
        with self.lock:
            self.usd[mint] = usd

    # ----- quotes -----------------------------------------------------------------------------
    def quote(self, taker: str, input_mint: str, output_mint: str, in_units: int, slippage_bps: int) -> Quote:
        with self.lock:
            value = in_units / 10 ** self.decimals[input_mint] * self.usd[input_mint]
            out_units = round(value / self.usd[output_mint] * 10 ** self.decimals[output_mint])
            blockhash = Hash.new_unique()
            last_valid = self.height + VALID_BLOCKS
            self.blockhashes[str(blockhash)] = last_valid
            q = Quote(next(self._ids), taker, input_mint, output_mint, in_units, out_units,
                      out_units * (10_000 - slippage_bps) // 10_000, last_valid)
            payer = Pubkey.from_string(taker)
            ix = Instruction(SWAP_PROGRAM, q.quote_id.to_bytes(8, "little"), [
                AccountMeta(payer, True, True),
                AccountMeta(Pubkey.from_string(input_mint), False, False),
                AccountMeta(Pubkey.from_string(output_mint), False, False)])
            tables = [self._lookup_table([input_mint, output_mint])] if self.mints_in_table else []
            message = MessageV0.try_compile(payer, [ix], tables, blockhash)
            q.message = bytes(message)
            self.quotes[q.message] = q
            return q

    def _lookup_table(self, mints: list[str]) -> AddressLookupTableAccount:
        """A lookup table account holding `mints`, stored in its on-chain layout for getAccountInfo."""
        key = Pubkey.new_unique()
        addresses = [Pubkey.from_string(m) for m in mints]
        meta = struct.pack("<IQQBB32sH", 1, 2**64 - 1, self.height, 0, 0, bytes(32), 0)  # active, no authority
        self.tables[str(key)] = meta + b"".join(bytes(a) for a in addresses)
        return AddressLookupTableAccount(key, addresses)

    def unsigned(self, q: Quote) -> bytes:
        message = MessageV0.from_bytes(q.message)
        sigs = [Signature.default()] * message.header.num_required_signatures
        return bytes(VersionedTransaction.populate(message, sigs))

    # ----- landing ----------------------------------------------------------------------------
    def check(self, raw: bytes) -> tuple[VersionedTransaction, Quote]:
        """What a node's preflight checks: signatures, the blockhash's lifetime, a known swap."""
        try:
            tx = VersionedTransaction.from_bytes(raw)
        except ValueError:
            raise ChainError(-32602, "failed to deserialize transaction") from None
        if not all(tx.verify_with_results()):
            raise ChainError(-32003, "Transaction signature verification failure")
        with self.lock:
            q = self.quotes.get(bytes(tx.message))
            last_valid = self.blockhashes.get(str(tx.message.recent_blockhash))
            if last_valid is None or self.height > last_valid:
                raise ChainError(-32002, "Transaction simulation failed: Blockhash not found", "BlockhashNotFound")
            if q is None:
                raise ChainError(-32002, "Transaction simulation failed: unknown swap", "InvalidProgramForExecution")
        return tx, q

    def land(self, raw: bytes) -> str:
        """Check, then execute the swap once (a second copy of the same bytes is 'already processed')."""
        tx, q = self.check(raw)
        signature = str(tx.signatures[0])
        with self.lock:
            self.accepted.append(signature)
            if signature in self.statuses:
                raise ChainError(-32002, "Transaction simulation failed: This transaction has already been processed",
                                 "AlreadyProcessed")
            if self.balance(q.taker, q.input_mint) < q.in_units:
                raise ChainError(-32002, "Transaction simulation failed: Error processing Instruction 0: custom "
                                 "program error: 0x1788", {"InstructionError": [0, {"Custom": 6024}]})
            self.balances[(q.taker, q.input_mint)] -= q.in_units
            self.fund(q.taker, q.output_mint, q.out_units)
            self.fund(q.taker, SOL_MINT, -FEE_LAMPORTS)
            self.statuses[signature] = {"slot": self.height, "confirmations": None, "err": None,
                                        "status": {"Ok": None}, "confirmationStatus": "confirmed"}
            self.landed.append(signature)
        return signature

    def fail_on_chain(self, raw: bytes, custom: int) -> str:
        """It lands but the program fails (fee paid, nothing swapped)."""
        tx, q = self.check(raw)
        signature = str(tx.signatures[0])
        with self.lock:
            self.accepted.append(signature)
            self.fund(q.taker, SOL_MINT, -FEE_LAMPORTS)
            err = {"InstructionError": [0, {"Custom": custom}]}
            self.statuses[signature] = {"slot": self.height, "confirmations": None, "err": err,
                                        "status": {"Err": err}, "confirmationStatus": "confirmed"}
        return signature
