"""Venue connection settings (Mango account, spot router, price feed): values and their validation.

Stored in the database so the window, --headless and --self-test read the same; command-line
flags override them for one run. Secrets (API keys, keypairs) are never fields here: they live
in the OS keyring; a key *file path* is a setting, its contents are not.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from grace_desktop.domain import validation as v
from grace_desktop.domain.errors import DomainError

SPOT_ROUTERS = ("jupiter", "gmgn")
FEEDS = ("simulated", "replay", "live")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _url(field: str, value: object) -> str:
    text = str(value).strip() if value is not None else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError(field, f"must be an http(s) URL, got {text!r}")
    try:
        parts.port  # noqa: B018 - raises on a port outside 0..65535
    except ValueError:
        raise DomainError(field, f"has an invalid port: {text!r}") from None
    if parts.username or parts.password:
        raise DomainError(field, "must not carry a user name or password (secrets go to the keyring)")
    if parts.query or parts.fragment:
        raise DomainError(field, f"must not have a query or fragment, got {text!r}")
    return text.rstrip("/")


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def needs_insecure_confirmation(url: str) -> bool:
    """A plain-http URL to another machine: whoever reaches that service trades on the account."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback_host(parts.hostname or "")


def _bool(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise DomainError(field, f"must be true or false, got {value!r}")


@dataclass(frozen=True, slots=True)
class VenueSettings:
    mango_enabled: bool = False
    mango_url: str = "http://localhost:3000/api"
    mango_key_file: str = ""
    mango_poll_seconds: float = 1.0
    mango_insecure_confirmed: bool = False  # the user confirmed a non-loopback http:// URL in the window
    spot_router: str = "jupiter"
    spot_router_url: str = "https://api.jup.ag"
    spot_rpc_url: str = "https://api.mainnet-beta.solana.com"
    spot_keypair_file: str = ""
    spot_slippage_bps: int = 50
    spot_tokens: tuple[str, ...] = ("SOL",)
    spot_allow_fallback: bool = False
    feed: str = "simulated"
    feed_url: str = "https://api.hyperliquid.xyz/info"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("mango_enabled", "mango_insecure_confirmed", "spot_allow_fallback"):
            set_(self, name, _bool(name, getattr(self, name)))
        mango_url = _url("mango_url", self.mango_url)
        if not urlsplit(mango_url).path.rstrip("/").endswith("/api"):
            raise DomainError("mango_url", f"must be the service's base URL ending in /api, got {mango_url!r}")
        set_(self, "mango_url", mango_url)
        for name in ("spot_rpc_url", "feed_url"):
            set_(self, name, _url(name, getattr(self, name)))
        root = _url("spot_router_url", self.spot_router_url)
        if urlsplit(root).path not in ("", "/"):
            raise DomainError("spot_router_url", f"must be a root URL (scheme://host[:port], no path), got {root!r}")
        set_(self, "spot_router_url", root)
        for name in ("mango_key_file", "spot_keypair_file"):
            path = str(getattr(self, name) or "").strip()
            if "\n" in path or "\x00" in path:
                raise DomainError(name, "must be a single file path")
            set_(self, name, path)
        poll = v.finite("mango_poll_seconds", self.mango_poll_seconds)
        if not 0.1 <= poll <= 60:
            raise DomainError("mango_poll_seconds", f"must be within 0.1..60 s, got {poll:g}")
        set_(self, "mango_poll_seconds", poll)
        router = str(self.spot_router).strip().lower()
        if router not in SPOT_ROUTERS:
            raise DomainError("spot_router", f"must be one of {', '.join(SPOT_ROUTERS)}, got {self.spot_router!r}")
        set_(self, "spot_router", router)
        set_(self, "spot_slippage_bps", _bps(self.spot_slippage_bps))
        set_(self, "spot_tokens", _tokens(self.spot_tokens))
        feed = str(self.feed).strip().lower()
        if feed not in FEEDS:
            raise DomainError("feed", f"must be one of {', '.join(FEEDS)}, got {self.feed!r}")
        set_(self, "feed", feed)

    @property
    def mango_url_needs_confirmation(self) -> bool:
        return needs_insecure_confirmation(self.mango_url)

    def check_mango_url_confirmed(self) -> None:
        """Refuse an unconfirmed plain-http Mango URL to another machine (the service has no authentication)."""
        if self.mango_url_needs_confirmation and not self.mango_insecure_confirmed:
            raise DomainError(
                "mango_url", f"{self.mango_url} is plain http to another machine and the service has no "
                             "authentication (whoever reaches it trades); confirm it in the settings panel "
                             "or use https or a loopback address")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["spot_tokens"] = list(self.spot_tokens)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VenueSettings:
        """Missing keys default; keys this version does not know (a newer one's) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: val for k, val in data.items() if k in known})

    def updated(self, **changes: Any) -> VenueSettings:
        return replace(self, **changes)


def _bps(value: object) -> int:
    if isinstance(value, bool):
        raise DomainError("spot_slippage_bps", f"must be a whole number of basis points, got {value!r}")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise DomainError("spot_slippage_bps", f"must be a whole number of basis points, got {value!r}") from None
    if not number.is_integer():
        raise DomainError("spot_slippage_bps", f"must be a whole number of basis points, got {value!r}")
    bps = int(number)
    if not 1 <= bps <= 1000:
        raise DomainError("spot_slippage_bps", f"must be in 1..1000 bps (10 %), got {bps}")
    return bps


def _tokens(value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    tokens: list[str] = []
    for item in items:
        token = str(item).strip()
        if not token:
            continue
        bare = token.replace("_", "").replace(".", "").replace("=", "", 1)  # "SYMBOL=<mint>" names a mint
        if not token.isascii() or not bare.isalnum() or len(token) > 64:
            raise DomainError("spot_tokens", f"{token!r} is not a token symbol, SYMBOL=<mint> or mint address")
        if token not in tokens:
            tokens.append(token)
    if not tokens:
        raise DomainError("spot_tokens", "list at least one token (e.g. SOL)")
    return tuple(tokens)
