"""Command line: `grace-desktop` and `python -m grace_desktop`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from grace_desktop import __version__, launch  # noqa: F401  (launch: the start-up clock's fallback origin)

VENUES = ("paper", "mango_v3", "spot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grace-desktop",
        description="Desktop trading terminal with event-driven auto-trading (paper venue by default).",
    )
    parser.add_argument("--data-dir", help="folder for the database (default: the user data dir, "
                        "or $GRACE_DESKTOP_DATA_DIR)")
    parser.add_argument("--venue", choices=VENUES, default="paper", help="venue to trade on (default: paper)")
    # Venue flags override the settings saved in the database for this run (none is saved).
    parser.add_argument("--mango-url", help="base URL (ending in /api) of a service speaking the mango-v3-service "
                        "REST API; turns the Mango account on for this run")
    parser.add_argument("--spot-router", choices=("jupiter", "gmgn"), help="router for spot swaps")
    parser.add_argument("--router-url", help="root URL of the spot router API (scheme://host[:port])")
    parser.add_argument("--rpc-url", help="Solana RPC URL for spot swaps")
    parser.add_argument("--keypair", help="Solana keypair file for spot swaps (must be private to you: chmod 600)")
    parser.add_argument("--feed", choices=("simulated", "replay", "live"), help="price feed of the paper venue")
    parser.add_argument("--feed-url", help="URL of the live price feed (Hyperliquid info endpoint)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="run venues and the auto-trading monitor without a window")
    mode.add_argument("--self-test", action="store_true", help="place and close one small order, check the journal, exit")
    mode.add_argument("--gui-smoke", action="store_true", help="open the main window, paint it once and exit")
    parser.add_argument("--debug", action="store_true",
                        help="log at DEBUG level and print the traceback of a start-up failure")
    parser.add_argument("--version", action="version", version=f"grace-desktop {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.headless or args.self_test:
        from grace_desktop.services import runner

        return runner.run_headless(args) if args.headless else runner.run_self_test(args)
    from grace_desktop import app

    return app.main(args)


if __name__ == "__main__":
    sys.exit(main())
