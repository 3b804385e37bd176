"""The spot wallet's keypair in the OS keyring: imported once from a Solana CLI key file, its JSON list
pasted as text, or a base58 string; afterwards only its public key is ever shown.

The import is checked with `venues.spot.load_keypair` (a key file is held to the same permission rule as
one used in place) and stored as base58 in the "spot_keypair" slot. Every message here names the file
or the public key, never the secret.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from grace_desktop.services.secrets import Sealed, SecretStoreError, get_secret, set_secret

if TYPE_CHECKING:
    from grace_desktop.venues.spot.keys import Wallet

KEYPAIR_SLOT = "spot_keypair"


class KeypairImportError(Exception):
    """The keypair was not imported; the message says why without the key."""


async def import_keypair(source: str | os.PathLike[str]) -> str:
    """Check the key, store it in the keyring slot and return the wallet's public key."""
    try:
        wallet = await asyncio.to_thread(_load, Sealed(os.fspath(source)))
    except ValueError as exc:  # KeyRefused: its text names the file or the fix, never the key
        raise KeypairImportError(str(exc)) from None
    try:
        await set_secret(KEYPAIR_SLOT, wallet.keyring_text())
    except SecretStoreError as exc:
        raise KeypairImportError(str(exc)) from None
    return str(wallet.pubkey)


async def stored_wallet() -> str | None:
    """The public key of the keypair in the slot; None when nothing is stored. A slot holding something
    that is not a keypair, or an unreadable keyring, raises KeypairImportError saying which."""
    try:
        text = await get_secret(KEYPAIR_SLOT)
    except SecretStoreError as exc:
        raise KeypairImportError(str(exc)) from None
    if text is None:
        return None
    try:
        return str((await asyncio.to_thread(_load, Sealed(text))).pubkey)
    except ValueError:
        raise KeypairImportError("the keyring holds something that is not a keypair; import it again") from None


def _load(source: Sealed) -> Wallet:
    # Sealed: the executor's DEBUG log shows this call's arguments (secrets.py says why).
    from grace_desktop.venues.spot import load_keypair

    return load_keypair(source.value)
