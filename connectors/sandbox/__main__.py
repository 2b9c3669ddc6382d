"""Run the sandbox as a command: `python -m connectors.sandbox --fixture FILE --port PORT`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import threading
from pathlib import Path

import structlog

from connectors.sandbox.fixture import DEMO_FIXTURE
from connectors.sandbox.server import Sandbox


def main(argv: list[str] | None = None) -> None:
    """Serve a fixture until interrupted, printing the base URL and the credentials to use."""
    parser = argparse.ArgumentParser(prog="python -m connectors.sandbox", description=__doc__)
    parser.add_argument(
        "--fixture", type=Path, default=DEMO_FIXTURE, help="fixture JSON (default: the demo)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--airtable-rate-limit", type=float, default=5.0, help="requests/s")
    parser.add_argument("--airtable-penalty", type=float, default=30.0, help="429 penalty (s)")
    args = parser.parse_args(argv)
    # stdout carries the connection info only; logs (INFO and up) go to stderr
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    sandbox = Sandbox(
        args.fixture, host=args.host, port=args.port, latency=args.latency,
        airtable_rate_limit=args.airtable_rate_limit,
        airtable_penalty_seconds=args.airtable_penalty,
    )  # fmt: skip
    with sandbox:
        print(json.dumps(connection_info(sandbox), indent=2), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def connection_info(sandbox: Sandbox) -> dict[str, object]:
    """What a client needs to talk to a running sandbox."""
    return {
        "url": sandbox.url,
        "google_credentials": sandbox.google_credentials(),
        "airtable_token": sandbox.airtable_token,
        "airtable_base_id": sandbox.airtable_base_id,
        "user_email": sandbox.user_email,
    }


if __name__ == "__main__":
    main()
