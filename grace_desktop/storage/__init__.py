"""Storage layer: one SQLite file (sqlite-utils, WAL) with forward migrations and typed repositories.

Nothing outside this package writes SQL; see /work/notes/STORAGE_API.md for the contract.
"""

from __future__ import annotations

from grace_desktop.storage.database import Storage, open_storage
from grace_desktop.storage.errors import NotFoundError, SchemaTooNewError, StorageError
from grace_desktop.storage.paths import DB_FILENAME, ENV_DATA_DIR, resolve_data_dir
from grace_desktop.storage.records import (
    AccountRecord,
    AlertRecord,
    ConditionRecord,
    DecisionRecord,
    OrderRecord,
    PaperState,
    PositionSnapshot,
    TradeRecord,
    TradeTotals,
)
from grace_desktop.storage.schema import LATEST_VERSION

__all__ = [
    "DB_FILENAME",
    "ENV_DATA_DIR",
    "LATEST_VERSION",
    "AccountRecord",
    "AlertRecord",
    "ConditionRecord",
    "DecisionRecord",
    "NotFoundError",
    "OrderRecord",
    "PaperState",
    "PositionSnapshot",
    "SchemaTooNewError",
    "Storage",
    "StorageError",
    "TradeRecord",
    "TradeTotals",
    "open_storage",
    "resolve_data_dir",
]
