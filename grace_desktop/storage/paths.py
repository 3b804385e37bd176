"""Where the database lives: --data-dir, then GRACE_DESKTOP_DATA_DIR, then the platform's data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_DATA_DIR = "GRACE_DESKTOP_DATA_DIR"
APP_NAME = "grace-desktop"
DB_FILENAME = "grace.db"


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """The data folder (created if missing). Separate folders let tests and profiles never share a file."""
    if explicit is not None and str(explicit).strip():
        path = Path(explicit)
    elif os.environ.get(ENV_DATA_DIR, "").strip():
        path = Path(os.environ[ENV_DATA_DIR])
    else:
        path = platformdirs.user_data_path(APP_NAME, appauthor=False)
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"data dir {path} exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path
