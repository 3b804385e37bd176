"""Where the shipped resources (stylesheet, icons, sample candles) are, without relying on the CWD."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """`resources/` of a source checkout (next to the package), or one a bundle puts inside the package."""
    for candidate in (_PACKAGE.parent / "resources", _PACKAGE / "resources"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE.parent / "resources"
