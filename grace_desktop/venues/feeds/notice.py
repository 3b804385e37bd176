"""What a price source tells the user about itself. Kept apart from the feeds so the services can
name it without importing the live feed's HTTP client before the window's first paint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NoticeKind = Literal["live", "fallback", "interrupted", "restored"]


@dataclass(frozen=True, slots=True)
class FeedNotice:
    """What the price source did, for an alert: `kind` and a one-line `text` meant for the user."""

    kind: NoticeKind
    text: str
