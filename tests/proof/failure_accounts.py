"""The failure suite's accounts: each its own world, sandbox, base and credentials.

    worlds = tagged_worlds(20, n=10, late=1)      # acct00 ... acct19, nothing in common
    accounts = [open_account(sandbox_factory, name, world) for ...]   # each in its sandbox
    store_accounts(database_url, key, accounts[1:])   # beyond the default: sealed in the store
    misrouted(accounts)          -> what of one account turned up in another's Gmail or base
    foreign_credentials(accounts) -> requests a sandbox served on a credential not its own
    pushes_routed(web_log)       -> the accounts the web app routed Calendar pushes to

A sandbox serves one user, so one account's sandbox holding anything of another's world (its
tag in a name, an email, an id) or seeing another's token is plainly a misrouting.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.airtable.client import AirtableClient
from connectors.google.auth import parse_credentials
from connectors.sandbox.server import Sandbox
from tests.proof.failure_world import FailureWorld
from tests.workflows.world import init_base
from workflows.accounts import AccountBook
from workflows.sealing import Sealer
from workflows.store.db import Database

TAG = re.compile(r"acct\d\d", re.IGNORECASE)
"""How a world's tag reads wherever it went (see `tagged_worlds`)."""


@dataclass
class Account:
    """One account of the run: its name in the service, its world and the sandbox serving it."""

    name: str
    world: FailureWorld
    sandbox: Sandbox
    airtable: AirtableClient
    faulted_requests: int = 0  # requests the sandbox had served when the faults stopped


def tagged_worlds(count: int, n: int, late: int) -> list[FailureWorld]:
    """`count` worlds of `n` interviews (`late` of them pushed during the run), each tagged
    acct00, acct01, ... so that none shares a name, email or id with another."""
    return [FailureWorld(n=n, late=late, tag=f"acct{i:02d}") for i in range(count)]


def open_account(
    sandbox_factory: Callable[..., Sandbox], name: str, world: FailureWorld
) -> Account:
    """The world in a sandbox of its own, its base initialised (what `airtable init` does),
    the sandbox's request log emptied after that.

    A tagged world's sandbox gets its own OAuth client and refresh token (sandboxes share
    defaults, and one account's credentials must not be good at another's sandbox) and its
    own draw of faults (each sandbox draws from the same seed otherwise: the same requests
    would fail everywhere).
    """
    sandbox = sandbox_factory(world.fixture())
    if world.tag:
        sandbox.faults.rng = random.Random(world.tag)
        sandbox.oauth.client_id = f"{world.tag}-client.apps.googleusercontent.com"
        sandbox.oauth.client_secret = f"{world.tag}-client-secret"
        sandbox.oauth.refresh_token = f"1//{world.tag}-refresh-token"
    airtable = init_base(sandbox)
    sandbox.reset_requests()  # the log is the service's requests alone
    return Account(name, world, sandbox, airtable)


def store_accounts(database_url: str, key: str, accounts: list[Account]) -> None:
    """Add each account to the store as `followthrough accounts add` does, its Google
    credentials and Airtable token sealed with `key`, its endpoints its own sandbox."""
    book = AccountBook(Database(database_url), Sealer([key]))
    try:
        for account in accounts:
            sandbox = account.sandbox
            google = parse_credentials(sandbox.google_credentials(), f"{account.name}'s Google")
            book.add(
                account.name,
                google=google,
                airtable_token=sandbox.airtable_token,
                airtable_base_id=sandbox.airtable_base_id,
                settings={
                    "google_api_endpoint": sandbox.url,
                    "airtable_endpoint": sandbox.url,
                    "sender_name": "Sam Seeker",
                },
            )
    finally:
        book.close()


def misrouted(accounts: list[Account]) -> dict[str, list[str]]:
    """Per account, what of another world its Gmail drafts or base rows hold: a recipient
    outside its own domain, another world's tag in a draft or any cell (empty: nothing)."""
    found: dict[str, list[str]] = {}
    for account in accounts:
        own = account.world
        strays = [
            f"draft to {address}"
            for draft in account.sandbox.drafts()
            for address in draft.get("to", [])
            if not str(address).lower().endswith("." + own.domain)
        ]
        texts = [str(draft) for draft in account.sandbox.drafts()]
        texts += [str(row) for rows in base_rows(account.sandbox).values() for row in rows]
        strays += [
            f"{tag} in {text[:120]}"
            for text in texts
            for tag in {t.lower() for t in TAG.findall(text)} - {own.tag}
        ]
        if strays:
            found[account.name] = strays[:5]
    return found


def base_rows(sandbox: Sandbox) -> dict[str, list[dict[str, Any]]]:
    """Every table of the sandbox's base, its rows' cells."""
    names = [table.name for table in sandbox.airtable.base.tables]
    return {name: [r["fields"] for r in sandbox.airtable.records(name)] for name in names}


def foreign_credentials(accounts: list[Account]) -> dict[str, Counter[str]]:
    """Per account, the routes its sandbox served on a credential the sandbox never issued
    (another account's token, or a made-up one); empty when every caller was its own."""
    found: dict[str, Counter[str]] = {}
    for account in accounts:
        own = set(account.sandbox.own_credentials()) | {""}
        strays = Counter(
            entry["route"]
            for entry in account.sandbox.requests_log()
            if entry["credential"] not in own
        )
        if strays:
            found[account.name] = strays
    return found


def pushes_routed(web_log: Path, state: str = "exists") -> Counter[str]:
    """How many Calendar notifications in `state` the web app accepted for each account
    ("sync": a new channel's first message, "exists": a change)."""
    routed = Counter[str]()
    text = web_log.read_text(errors="replace") if web_log.exists() else ""
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(event, dict)
            and event.get("event") == "webhook.accepted"
            and event.get("source") == "calendar"
            and event.get("state") == state
        ):
            routed[str(event.get("account"))] += 1
    return routed


def channels_opened(logs: list[Path]) -> set[str]:
    """The accounts whose Calendar channel a worker opened and stored (its first message may
    have reached the web app before the row of a retried watch call: the change pushes that
    follow are what the suite counts)."""
    opened: set[str] = set()
    for log in logs:
        for line in (log.read_text(errors="replace") if log.exists() else "").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "calendar.channel_opened":
                opened.add(str(event.get("account")))
    return opened
