"""Local signing of a router's unsigned transaction, with the refusals that protect the wallet.

solders' VersionedTransaction has no `sign()`: the transaction is rebuilt from the returned message
with our signature in the wallet's slot. Other required signers' slots (a JupiterZ market maker
signs during /execute) are kept as they came, so a partially signed transaction stays valid.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence

from solders.address_lookup_table_account import AddressLookupTable
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from grace_desktop.venues.base import NotSent, OrderRejected, VenueError
from grace_desktop.venues.spot.keys import Wallet


class SigningRefused(OrderRejected):
    """The transaction is not one this wallet should sign; nothing was signed or sent."""


def decode_transaction(text: str) -> VersionedTransaction:
    """A router's transaction: base64 (Jupiter, GMGN) or base58 (GMGN's non-Jupiter routes)."""
    raw: bytes | None = None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is not None:
        try:
            return VersionedTransaction.from_bytes(raw)
        except ValueError:
            pass
    try:
        return VersionedTransaction.from_bytes(_b58decode(text))
    except ValueError:
        raise SigningRefused("the router's transaction is neither base64 nor base58 Solana bytes") from None


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError("not base58")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def lookup_tables(tx: VersionedTransaction) -> list[str]:
    """The address lookup tables a v0 message loads accounts from (none for a legacy message)."""
    return [str(lookup.account_key) for lookup in getattr(tx.message, "address_table_lookups", [])]


def looked_up_keys(tx: VersionedTransaction, tables: Mapping[str, bytes | None]) -> list[Pubkey]:
    """The accounts the message loads from its lookup tables, given each table account's data."""
    found: list[Pubkey] = []
    for lookup in getattr(tx.message, "address_table_lookups", []):
        data = tables.get(str(lookup.account_key))
        if data is None:
            raise SigningRefused(f"refused to sign: lookup table {lookup.account_key} was not found")
        try:
            addresses = list(AddressLookupTable.deserialize(data).addresses)
        except ValueError:
            raise SigningRefused(f"refused to sign: lookup table {lookup.account_key} could not be read") from None
        for index in [*lookup.writable_indexes, *lookup.readonly_indexes]:
            if index >= len(addresses):
                raise SigningRefused(f"refused to sign: lookup table {lookup.account_key} has no entry {index}")
            found.append(addresses[index])
    return found


async def loaded_keys(tx: VersionedTransaction, account_data: Callable[[str], Awaitable[bytes | None]]) -> list[Pubkey]:
    """The accounts `tx` loads from lookup tables, each table read with `account_data` (over RPC)."""
    tables = lookup_tables(tx)
    if not tables:
        return []
    try:
        data = {table: await account_data(table) for table in tables}
    except VenueError as exc:  # nothing signed yet: safe to quote again
        raise NotSent(f"not sent: cannot read the swap's lookup tables ({exc})") from None
    return looked_up_keys(tx, data)


def sign_swap(tx: VersionedTransaction, wallet: Wallet, *, input_mint: str, output_mint: str,
              looked_up: Sequence[Pubkey] = ()) -> VersionedTransaction:
    """`tx` signed by `wallet`, or SigningRefused when the wallet is not the fee payer and a required
    signer, or when the quote's mints are not among the message's account keys (its static keys and
    `looked_up`, those it loads from lookup tables)."""
    message = tx.message
    keys = list(message.account_keys)
    required = message.header.num_required_signatures
    if not keys or keys[0] != wallet.pubkey:
        payer = keys[0] if keys else "nobody"
        raise SigningRefused(f"refused to sign: the fee payer is {payer}, not this wallet ({wallet.pubkey})")
    index = keys.index(wallet.pubkey)
    if index >= required:
        raise SigningRefused("refused to sign: this wallet is not a required signer of the transaction")
    present = {str(k) for k in [*keys, *looked_up]}
    missing = [m for m in (input_mint, output_mint) if m not in present]
    if missing:
        raise SigningRefused(f"refused to sign: the transaction does not touch the quoted mint(s) {', '.join(missing)}")
    signatures = list(tx.signatures)
    while len(signatures) < required:
        signatures.append(Signature.default())
    signatures[index] = wallet.sign(message)
    return VersionedTransaction.populate(message, signatures)


def signature_of(tx: VersionedTransaction) -> str:
    """The transaction id: the fee payer's signature, known before sending."""
    return str(tx.signatures[0])


def is_signed_by(tx: VersionedTransaction, pubkey: Pubkey) -> bool:
    keys = list(tx.message.account_keys)
    if pubkey not in keys:
        return False
    index = keys.index(pubkey)
    results = tx.verify_with_results()
    return index < len(results) and bool(results[index])
