"""Package layout that pyproject.toml cannot state on its own: the top-level `resources/` folder
(stylesheet, icons, sample candles) is installed as the package `grace_desktop.resources`, each
sub-folder as a data-only sub-package of it. Metadata and dependencies live in pyproject.toml."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
DATA = sorted(p.name for p in (HERE / "resources").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))

setup(
    packages=[
        *find_packages(include=["grace_desktop", "grace_desktop.*"]),
        "grace_desktop.resources",
        *(f"grace_desktop.resources.{name}" for name in DATA),
    ],
    package_dir={"grace_desktop.resources": "resources"},
    package_data={"grace_desktop.resources": ["*.md"], **{f"grace_desktop.resources.{name}": ["*"] for name in DATA}},
)
