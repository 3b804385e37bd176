"""The user's Solana keypair: loaded once, held in a `Wallet` that never shows its secret.

Accepted forms: a Solana CLI key file (a JSON list of 64 byte values, `solana-keygen new -o FILE`), that
list pasted as text, or a base58 string (Phantom/Solflare export). A key file used in place must belong to the user and not be
readable by group or others; otherwise it is refused with the command that fixes it. No message, repr
or log line built here contains the secret (solders' own `str(Keypair)` is the base58 secret, so the
keypair is wrapped before anything else touches it).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature


class KeyRefused(ValueError):
    """The key could not be used; the message says why (never what the key is)."""


class Wallet:
    """Signs messages with the user's keypair; shows only the public key."""

    __slots__ = ("_keypair", "pubkey")

    def __init__(self, keypair: Keypair) -> None:
        self._keypair = keypair
        self.pubkey: Pubkey = keypair.pubkey()

    def sign(self, message: object) -> Signature:
        return self._keypair.sign_message(to_bytes_versioned(message))  # type: ignore[arg-type]

    def keyring_text(self) -> str:
        """The base58 secret, for the one place it may go: the OS keyring slot (services/spot_keys.py)."""
        return str(self._keypair)

    def __repr__(self) -> str:
        return f"Wallet({self.pubkey})"

    __str__ = __repr__

    def __reduce__(self) -> object:  # never pickled, copied into a record or sent anywhere
        raise TypeError("a Wallet cannot be serialized")


def check_key_file(path: Path) -> None:
    """Refuse a key file another user owns or others can read, with the command that fixes it."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise KeyRefused(f"{path}: the key file belongs to another user; copy it into a file of your own "
                         f"(cp {path} ~/.config/solana/id.json && chmod 600 ~/.config/solana/id.json)")
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyRefused(f"{path}: the key file is readable by others; run: chmod 600 {path}")


def _from_list(values: object) -> Wallet:
    if not (isinstance(values, list) and len(values) == 64 and all(isinstance(b, int) and 0 <= b < 256
                                                                     for b in values)):
        raise ValueError
    try:
        return Wallet(Keypair.from_bytes(bytes(values)))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a pyo3 panic on bytes that are not a keypair
        raise ValueError from None


def load_keypair(source: str | os.PathLike[str]) -> Wallet:
    """A Wallet from a key file path, a key file's JSON list pasted as text, or a base58 secret string."""
    text = os.fspath(source).strip()
    if text.startswith("["):
        try:
            return _from_list(json.loads(text))
        except ValueError:
            raise KeyRefused("the pasted key is not a Solana key file's list of 64 numbers") from None
    path = Path(text).expanduser()
    looks_like_path = os.sep in text or text.endswith(".json") or text.startswith("~")
    if looks_like_path or (len(text) < 80 and path.exists()):
        if not path.is_file():
            raise KeyRefused(f"{path}: no such key file")
        check_key_file(path)
        try:
            return _from_list(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, OSError, UnicodeDecodeError):
            raise KeyRefused(f"{path}: not a Solana key file (a JSON list of 64 numbers)") from None
    try:
        return Wallet(Keypair.from_base58_string(text))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # solders raises a pyo3 panic on bad input; say nothing about the text itself
        raise KeyRefused("the key is neither a key file nor a base58 keypair (64 bytes)") from None
