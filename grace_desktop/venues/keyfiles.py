"""Key files (Solana keypair JSON and the like) are used only if they are private to the user.

A key file must be a regular file owned by the user running the app, with no permission for
group or others; otherwise it is refused with the exact command that fixes it. Messages name
the path and its mode, never anything read from the file.
"""

from __future__ import annotations

import getpass
import os
import shlex
import stat
import sys
from pathlib import Path

# Group and other permission bits: any of them set means someone else may read or change the key.
OTHERS = stat.S_IRWXG | stat.S_IRWXO
MAX_KEY_FILE_BYTES = 64 * 1024  # a keypair JSON is ~250 bytes; anything huge is not a key file


class KeyFileError(Exception):
    """The key file cannot be used; the message says why and how to fix it (never its contents)."""


def check_key_file(path: str | os.PathLike[str]) -> Path:
    """The resolved path of a usable key file, or KeyFileError with the fixing command."""
    key = Path(path).expanduser()
    shown = shlex.quote(str(key))
    try:
        info = key.stat()
    except FileNotFoundError:
        raise KeyFileError(f"{key}: no such key file") from None
    except OSError as exc:
        raise KeyFileError(f"{key}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"{key}: not a regular file")
    if info.st_size > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{key}: {info.st_size} bytes is too large for a key file")
    if sys.platform != "win32":  # Windows has ACLs, not mode bits; its profile folders are private already
        uid = os.getuid()
        if info.st_uid != uid:
            raise KeyFileError(
                f"{key}: owned by uid {info.st_uid}, not by you (uid {uid}); "
                f"fix it with: sudo chown {shlex.quote(getpass.getuser())} {shown}")
        if info.st_mode & OTHERS:
            raise KeyFileError(
                f"{key}: mode {stat.S_IMODE(info.st_mode):04o} lets group or others read or change it; "
                f"fix it with: chmod 600 {shown}")
    return key.resolve()


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """Check, then read the key file's bytes (for the adapter that signs with it, nothing else)."""
    key = check_key_file(path)
    try:
        return key.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{key}: cannot read it ({exc.strerror or type(exc).__name__})") from None
