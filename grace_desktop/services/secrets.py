"""Secrets in the OS keyring, one entry per secret, always off the event loop's thread.

Some keyring backends run their own event loop or block on D-Bus, so every call goes through
asyncio.to_thread. Errors are re-raised as SecretStoreError naming the slot and the backend's
error type only: a secret never appears in a message, a log line or the database. The loop's thread
executor (qasync's) logs each call's arguments and result at DEBUG, so a secret crosses into and out of
the worker thread only inside a closure or a `Sealed`, whose repr is all such a log line shows.
"""

from __future__ import annotations

import asyncio

SERVICE = "grace-desktop"

# slot name -> what it holds (shown in the window next to its field)
SLOTS = {
    "jupiter_api_key": "Jupiter API key",
    "gmgn_api_key": "GMGN route API key",
    "spot_keypair": "spot wallet keypair",
    "mango_key": "Mango service key",
}
ROUTER_KEY_SLOTS = {"jupiter": "jupiter_api_key", "gmgn": "gmgn_api_key"}


class Sealed:
    """A secret in transit between threads; its repr never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Sealed(<secret>)"

    __str__ = __repr__


class SecretStoreError(Exception):
    """The keyring could not do it; the message never contains the secret."""


def _check(slot: str) -> str:
    if slot not in SLOTS:
        raise ValueError(f"unknown secret slot {slot!r} (known: {', '.join(sorted(SLOTS))})")
    return slot


def _get(slot: str) -> Sealed | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(SERVICE, slot)
        return None if value is None else Sealed(value)
    except KeyringError as exc:
        raise SecretStoreError(f"the system keyring could not read the {SLOTS[slot]} ({type(exc).__name__})") from None


def _set(slot: str, secret: Sealed) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, slot, secret.value)
    except KeyringError as exc:
        raise SecretStoreError(f"the system keyring refused the {SLOTS[slot]} ({type(exc).__name__})") from None


def _forget(slot: str) -> None:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, slot)
    except PasswordDeleteError:
        pass  # nothing stored: forgetting it is done
    except KeyringError as exc:
        raise SecretStoreError(f"the system keyring could not delete the {SLOTS[slot]} ({type(exc).__name__})") from None


async def get_secret(slot: str) -> str | None:
    sealed = await asyncio.to_thread(_get, _check(slot))
    return None if sealed is None else sealed.value


async def set_secret(slot: str, secret: str) -> None:
    if not isinstance(secret, str) or not secret.strip():
        raise ValueError(f"{SLOTS[_check(slot)]}: nothing to store")
    await asyncio.to_thread(_set, _check(slot), Sealed(secret.strip()))


async def forget_secret(slot: str) -> None:
    await asyncio.to_thread(_forget, _check(slot))


async def has_secret(slot: str) -> bool:
    """Whether the slot holds something; an unusable keyring counts as empty."""
    try:
        return await get_secret(slot) is not None
    except SecretStoreError:
        return False
