"""The `followthrough` command: run the service, the demo, the sandbox, and set-up steps.

The commands live in `cli_setup` (demo, sandbox, auth, airtable init, sync, status),
`cli_doctor` (doctor), `cli_processes` (run, web, worker, scheduler), `cli_accounts`
(accounts add, list, remove, disable) and `cli_account_pages` (accounts page-link);
importing them registers them on `app`.
"""

from __future__ import annotations

import contextlib

from service import cli_account_pages, cli_accounts, cli_doctor, cli_processes, cli_setup
from service.cli_base import app

__all__ = ["app", "cli_account_pages", "cli_accounts", "cli_doctor", "cli_processes", "cli_setup"]

if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        app(prog_name="followthrough")
