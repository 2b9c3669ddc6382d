"""Linking an account's Google from a browser (a hosted deployment): one-time links.

`issue_link` keeps a pending consent in the account's row (a nonce and the PKCE verifier,
sealed) and returns the link's token: the account's name and that nonce, sealed, so it
cannot be forged without the key and it lapses after LINK_TTL. `open_link` accepts a token
only while it is the account's pending one; `finish_link` stores the credentials and forgets
the pending consent, so a link links once. Issuing a new link voids the previous one.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field

from connectors.errors import UserActionRequired
from connectors.records import GoogleCredentials
from workflows.accounts import add_account
from workflows.sealing import Sealer
from workflows.store import accounts as rows
from workflows.store.db import Database

LINK_TTL = dt.timedelta(hours=24)


class LinkRefused(UserActionRequired):
    """A link that is forged, too old, already used, or for an account removed or disabled."""


@dataclass(frozen=True)
class PendingLink:
    """A link that may be followed: whose it is and the PKCE verifier of its consent."""

    account: str
    verifier: str = field(repr=False)


def issue_link(db: Database, sealer: Sealer, name: str) -> str:
    """A new link token for the account (the previous one is void); LinkRefused when there is
    no active account of that name."""
    nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    pending = sealer.seal(json.dumps({"nonce": nonce, "verifier": verifier}))
    with db.transaction() as session:
        row = rows.get_account(session, name)
        if row is None or row.state != "active":
            raise LinkRefused(f"there is no active account {name} to link Google to")
        rows.set_google_link(session, name, pending)
    return sealer.seal(json.dumps({"account": name, "nonce": nonce})).decode()


def open_link(db: Database, sealer: Sealer, token: str) -> PendingLink:
    """The pending link `token` names; LinkRefused (saying what to do) for any other token."""
    opened = sealer.open_fresh(token, LINK_TTL)
    claim = json.loads(opened) if opened else {}
    name = claim.get("account") if isinstance(claim, dict) else None
    with db.read() as session:
        row = rows.get_account(session, name) if isinstance(name, str) else None
    pending = row.google_link if row is not None and row.state == "active" else None
    stored = json.loads(sealer.open(pending, "a pending Google link")) if pending else {}
    if not stored or not secrets.compare_digest(str(stored["nonce"]), str(claim.get("nonce"))):
        raise LinkRefused(
            "this link is not valid any more (it was used, replaced or is older than a day); "
            "ask for a new one"
        )
    return PendingLink(str(name), str(stored["verifier"]))


def finish_link(
    db: Database, sealer: Sealer, link: PendingLink, credentials: GoogleCredentials
) -> None:
    """Store the consent's credentials in the account and void its link."""
    add_account(db, sealer, link.account, google=credentials)
    with db.transaction() as session:
        rows.set_google_link(session, link.account, None)
