"""Storage layer: one SQLite file (sqlite-utils, WAL) with forward migrations and typed repositories.

Nothing outside this package writes SQL; docs/architecture.md ("Storage") describes the threads and files.
"""

from __future__ import annotations

from grace_desktop.storage.database import Storage, open_storage
from grace_desktop.storage.errors import (
    NotFoundError,
    SchemaTooNewError,
    StorageClosedError,
    StorageError,
    StorageFullError,
)
from grace_desktop.storage.paths import DB_FILENAME, ENV_DATA_DIR, resolve_data_dir
from grace_desktop.storage.records import (
    AccountRecord,
    AlertRecord,
    ConditionRecord,
    DecisionRecord,
    LedgerPosition,
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
    "LedgerPosition",
    "NotFoundError",
    "OrderRecord",
    "PaperState",
    "PositionSnapshot",
    "SchemaTooNewError",
    "Storage",
    "StorageClosedError",
    "StorageError",
    "StorageFullError",
    "TradeRecord",
    "TradeTotals",
    "open_storage",
    "resolve_data_dir",
]
