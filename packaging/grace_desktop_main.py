"""Entry point of the PyInstaller bundle: the same `main` as the `grace-desktop` console script."""

import sys

from grace_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
