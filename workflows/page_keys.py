"""Each stored account's status page key: the secret in its page's link (/accounts/NAME/?key=).

One web app serves every account of a hosted deployment, so one person's page must not be
readable by another. `issue_page_key` makes a random key (256 bits), keeps only its SHA-256
as a fact of the account (a key that long needs no slow hash: it cannot be guessed, only
stolen) and returns it once, to be printed; issuing a new one voids the last. `page_key_opens`
compares in constant time. Removing the account removes the fact with its other rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from workflows.facts import get_fact, set_fact
from workflows.store import accounts as rows
from workflows.store.db import Database

PAGE_KEY = "fact:page_key_sha256"
PAGE_PATH = "/accounts/{account}/"
"""Where the web app serves a stored account's page (the key goes in the query: `?key=`)."""


def page_line(public_url: str | None, account: str, key: str) -> str:
    """The line that shows the operator the account's page link (a path without a public URL)."""
    path = f"{PAGE_PATH.format(account=account)}?key={key}"
    where = f"{public_url.rstrip('/')}{path}" if public_url else f"{path} on the web app's address"
    return (
        f"Status page of {account}, private to them (`followthrough accounts page-link "
        f"{account}` makes a new link): {where}"
    )


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_page_key(db: Database, name: str) -> str | None:
    """A new page key for the stored account (the last one is void); None: no such account."""
    key = secrets.token_urlsafe(32)
    with db.transaction() as session:
        if rows.get_account(session, name) is None:
            return None
        set_fact(session, PAGE_KEY, _digest(key), account=name)
    return key


def page_key_opens(db: Database, name: str, key: str) -> bool:
    """True when `key` is the active stored account's current page key."""
    with db.read() as session:
        row = rows.get_account(session, name)
        stored = get_fact(session, PAGE_KEY, account=name) if row is not None else None
    if row is None or row.state != "active" or not stored:
        return False
    return hmac.compare_digest(stored, _digest(key))
