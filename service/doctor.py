"""`followthrough doctor`: check a user's real setup before anything runs, as a checklist.

Each check makes at most a request or two and says either what works or what to do. Nothing
is created: no table, field or webhook (the webhook check reads the token's scopes and the
base's permission level instead of trying); only the Google token it refreshes is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from connectors.addresses import push_address_problem
from connectors.errors import FollowthroughError
from service.settings import Settings, env_name

if TYPE_CHECKING:
    from connectors.airtable.client import AirtableClient
    from connectors.airtable.schema import SchemaReport
    from connectors.google.client import GoogleClient


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it is fine, and what to do if not."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """The line as printed."""
        return f"{'ok ' if self.ok else 'FIX'} {self.name}: {self.detail}"


AIRTABLE_SCOPES = (
    "data.records:read",
    "data.records:write",
    "schema.bases:read",
    "schema.bases:write",
    "webhook:manage",
)


def run_checks(settings: Settings) -> Iterator[Check]:
    """Every check, in the order a user would fix them; each one's failure is its own line."""
    yield Check("Settings", True, f"valid (account {settings.account!r})")  # else: one error
    yield _sender_name(settings)
    yield from _google(settings)
    yield from _airtable(settings)
    yield _public_url(settings)


def sender_name_advice(settings: Settings) -> str | None:
    """What to do about an unset sender name (None when it is set); `status` says it too."""
    if settings.sender_name and settings.sender_name.strip():
        return None
    return (
        f"{env_name('sender_name')} is not set, so drafts are signed with the name your "
        "calendar shows for you, or with none when it shows none; set it to the name you sign with"
    )


def _sender_name(settings: Settings) -> Check:
    """Whether thank-you drafts are signed with a name."""
    advice = sender_name_advice(settings)
    if advice is None:
        return Check("Sender name", True, f"drafts are signed {settings.sender_name!r}")
    return Check("Sender name", False, advice)


def _guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """Run one check; an error becomes its line (the message says what to do), no traceback."""
    try:
        result = check()
    except FollowthroughError as exc:
        return [Check(name, False, str(exc))]
    except Exception as exc:  # an unexpected answer is still one line, not a traceback
        return [Check(name, False, f"unexpected {type(exc).__name__}: {exc}")]
    return result if isinstance(result, list) else [result]


# --- Google ----------------------------------------------------------------------------------


def _google(settings: Settings) -> Iterator[Check]:
    from connectors.google.auth import read_credentials_file
    from connectors.google.consent import SCOPE_USES

    path = settings.google_credentials_file
    found = _guarded("Google credentials", lambda: _read(path, read_credentials_file))
    yield from found
    if not found[0].ok:
        return
    scopes = set(read_credentials_file(path).scopes)
    for use in SCOPE_USES:
        name = f"Google scope {use.name}"
        if use.scope in scopes:
            yield Check(name, True, f"granted: {use.feature}")
        elif use.required:
            fix = f"not granted, and {use.why}; run `followthrough auth google` and leave it ticked"
            yield Check(name, False, fix)
        else:
            yield Check(name, True, f"not granted, so {use.feature} is off ({use.why})")
    from service.wiring import google_client

    client = google_client(settings)
    assert client is not None  # the credentials file exists
    yield from _guarded("Google token refresh", lambda: _refresh(client))
    yield from _guarded("Google calendar", lambda: _calendar(client, settings.calendar_id))


def _read(path: Path, read: Callable[[Path], object]) -> Check:
    read(path)
    return Check("Google credentials", True, f"{path} is readable")


def _refresh(client: GoogleClient) -> Check:
    client.credentials.refresh_now()
    return Check("Google token refresh", True, "the OAuth app refreshes the access token")


def _calendar(client: GoogleClient, calendar_id: str) -> Check:
    zone = client.calendar.time_zone(calendar_id)
    return Check("Google calendar", True, f"{calendar_id!r} is readable (time zone {zone})")


# --- Airtable --------------------------------------------------------------------------------


def _airtable(settings: Settings) -> Iterator[Check]:
    from service.wiring import airtable_client

    if settings.airtable_token is None or not settings.airtable_base_id:
        names = f"{env_name('airtable_token')} and {env_name('airtable_base_id')}"
        yield Check("Airtable", False, f"set {names} (see the README's setup)")
        return
    client = airtable_client(settings)
    assert client is not None
    scopes = _guarded("Airtable token", lambda: _token(client))
    yield from scopes
    if not scopes[0].ok:
        return
    yield from _guarded("Airtable base access", lambda: _access(client))
    yield from _guarded("Airtable tables and fields", lambda: _schema(client, settings))


def _token(client: AirtableClient) -> Check:
    have = client.token_scopes()
    missing = [scope for scope in AIRTABLE_SCOPES if scope not in have]
    if missing:
        return Check(
            "Airtable token",
            False,
            f"lacks the scopes {', '.join(missing)}; add them to the personal access token",
        )
    return Check("Airtable token", True, "has every scope Followthrough needs")


def _access(client: AirtableClient) -> list[Check]:
    """The base's permission level, and so whether webhooks (the change feed) can be made."""
    level, base = client.permission_level(), client.base_id
    if level is None:
        fix = f"the token cannot reach base {base}; add the base to the token's access list"
        return [Check("Airtable base access", False, fix)]
    if level != "create":
        return [
            Check(
                "Airtable base access",
                False,
                f"you are an {level!r} collaborator of base {base}, not its Base creator: "
                "`airtable init` cannot add tables or fields; ask the base's creator for "
                "Creator access",
            ),
            Check(
                "Airtable webhooks",
                False,
                "cannot be created without Base creator access: syncs read the three tables "
                "instead (3 requests a pass, not 1)",
            ),
        ]
    return [
        Check("Airtable base access", True, f"Base creator of {base}"),
        Check("Airtable webhooks", True, "can be created: a sync costs one request"),
    ]


def _schema(client: AirtableClient, settings: Settings) -> list[Check]:
    """The contract's tables, fields and choices; then each step they (or a setting) turn off."""
    from connectors.airtable.schema import init_schema
    from service.wiring import workflow_config
    from workflows.steps import STEPS, why_off

    report = init_schema(client, dry_run=True)
    config = workflow_config(settings)
    checks = [_fields(report)]
    for step in STEPS:
        reason = why_off(step, report.gaps, config)
        if reason is not None:
            # A step off only for want of a setting is the user's choice, not a fault.
            by_choice = why_off(step, report.gaps, replace(config, about_me="set")) is None
            checks.append(Check(step.name, by_choice, reason))
    return checks


def _fields(report: SchemaReport) -> Check:
    missing = [f"table {t}" for t in report.created_tables]
    missing += [f"{t}.{f}" for t, f in report.created_fields]
    problems = [f"{p.table}.{p.field} {p.message}" for p in report.problems]
    if missing or problems:
        todo = f"missing {', '.join(missing)}; run `followthrough airtable init`" if missing else ""
        return Check(
            "Airtable tables and fields", False, "; ".join(filter(None, [todo, *problems]))
        )
    return Check("Airtable tables and fields", True, "every table, field and choice is there")


# --- the public URL --------------------------------------------------------------------------


def _public_url(settings: Settings) -> Check:
    url = settings.public_url
    name = env_name("public_url")
    if not url:
        return Check("Public URL", True, f"{name} is not set: syncs poll the change feeds")
    problem = push_address_problem(url)
    if problem is not None:
        return Check("Public URL", False, f"{name} {problem}")
    health = f"{url.rstrip('/')}/healthz"
    try:
        answer = requests.get(health, timeout=5)
    except requests.RequestException as exc:
        return Check(
            "Public URL",
            False,
            f"{health} is not reachable ({type(exc).__name__}); start `followthrough run` or "
            "`web`, and route the URL to it",
        )
    if answer.status_code != 200:
        return Check("Public URL", False, f"{health} answered {answer.status_code}, not 200")
    return Check("Public URL", True, f"{health} answers")
