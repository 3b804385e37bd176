"""Package data: the top-level resources/ folder is installed as grace_desktop.resources (see setup.py)."""
