"""Where the shipped resources (stylesheet, icons, sample candles) are, without relying on the CWD.

They live in the top-level `resources/` of the repository. A wheel, an sdist install and a
PyInstaller bundle carry them as the package data `grace_desktop.resources` (mapped by
`setup.py`), read through `importlib.resources`. A missing asset is logged as a warning.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent / "resources"


@cache
def resources_dir() -> Path:
    """`resources/` of a source checkout (next to the package), else the installed package data."""
    if (_PACKAGE.parent / "pyproject.toml").is_file() and _CHECKOUT.is_dir():
        return _CHECKOUT
    # The package data grace_desktop.resources, located through grace_desktop's resource reader (a
    # folder in site-packages, or in a PyInstaller bundle's _internal/).
    installed = resources.files("grace_desktop") / "resources"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    log.warning("no resources next to the package (%s): the app runs without its stylesheet, icons and "
                "sample candles", installed)
    return _CHECKOUT


def asset(relative: str) -> Path | None:
    """The resource file `relative` (e.g. "icons/app.svg"), or None with a warning if it is missing."""
    path = resources_dir() / relative
    if path.is_file():
        return path
    log.warning("resource missing: %s (looked in %s)", relative, resources_dir())
    return None
