"""The ask: a contact's `Draft Ask` ticked becomes an ask draft to them, once per tick.

    result = draft_ask(runtime, "recAda...", generation)   # -> AskResult

Each tick is a generation of the contact's asks (`ask_generation`: how many asks were drafted
for them). Its draft, its `Ask` follow-up (Draft = the draft's link) and the box cleared in
Airtable share the key `ask:<record id>:<generation>`, so retries, crashes and duplicate
messages make one of each. The contact is read again from Airtable first: a box the user
unticked before anything was made makes no ask; once the draft exists, the rest is finished
whatever the box says (it is Followthrough that clears it). The generation moves on only when
all is done, so a pass that read the box before it was cleared schedules the next generation,
which finds the box cleared and makes nothing.

Writing an ask is not sending it: the contact's Stage is left alone. The user sends the draft
and moves them to Requested, or, with the gmail.metadata scope, the mail pass sees it sent and
moves them (`workflows.ask_mail`). A contact with no usable Email keeps the box ticked, and the
status page says to add the address (the ask is drafted once it is there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
import structlog

from connectors.airtable.readers import read_contacts
from connectors.airtable.tables import AirtableContact
from connectors.airtable.writes import ContactWrite
from connectors.records import DraftMessage
from workflows import outbox
from workflows.contact_rows import ContactRow, write_contacts
from workflows.draft_links import draft_link
from workflows.facts import get_fact, set_fact
from workflows.followup_sync import Owed, write_followups
from workflows.owed import user_zone_of
from workflows.rules.ask import AskFacts, compose_ask
from workflows.rules.clock import local_date
from workflows.rules.followups import FollowUpKind, FollowUpPlan, single_line
from workflows.rules.people import first_name_of
from workflows.runtime import Runtime
from workflows.store import ledger
from workflows.store.models import Effect
from workflows.store.people import person_by_airtable_id

log = structlog.get_logger(__name__)

GENERATION = "fact:ask_generation:"
MADE_AT = "made_at"
"""In an ask's or nudge's ledger entry: when it was written, on the domain clock."""


@dataclass(frozen=True)
class AskResult:
    """What one tick came to: `made` the draft's link, or `reason` why nothing was made;
    `wait` when the reason is the user's to mend (the box stays ticked)."""

    made: str | None = None
    reason: str = ""
    wait: bool = False


def ask_key(record_id: str, generation: int) -> str:
    """The key of one ask: its draft, its follow-up (and its draft's Message-ID)."""
    return f"ask:{record_id}:{generation}"


def ask_generation(runtime: Runtime, record_id: str) -> int:
    """How many asks were drafted for this contact (the next tick's generation)."""
    with runtime.db.read() as session:
        return int(get_fact(session, f"{GENERATION}{record_id}", account=runtime.account) or 0)


def draft_ask(runtime: Runtime, record_id: str, generation: int) -> AskResult:
    """Draft the ask of this tick, clear the box, and add the Ask follow-up (each once)."""
    if ask_generation(runtime, record_id) > generation:
        return AskResult(reason="this tick's ask was drafted already")
    key = ask_key(record_id, generation)
    contact = _read_contact(runtime, record_id)
    if contact is None:
        return AskResult(reason="the contact was deleted from Airtable")
    if not contact.draft_ask and not _started(runtime, key):
        return AskResult(reason="Draft Ask was unticked before the ask was drafted")
    if not contact.email:
        return AskResult(reason=_no_email(contact), wait=True)
    message = compose_ask(_facts(runtime, contact), key)
    title = ask_title(contact.name)
    link = write_with_follow_up(runtime, key, message, FollowUpKind.ASK, title, record_id)
    cleared = ContactWrite(email=contact.email, record_id=record_id, draft_ask=False)
    write_contacts(runtime, [ContactRow(cleared)])
    with runtime.db.transaction() as session:
        set_fact(session, f"{GENERATION}{record_id}", str(generation + 1), account=runtime.account)
    log.info("ask.drafted", record_id=record_id, generation=generation)
    return AskResult(made=link)


def remember_made(runtime: Runtime, key: str) -> None:
    """Note on a draft's ledger entry when it was written (the first time only), so a message
    sent in its thread later is known to be it, not an earlier draft of the thread."""
    with runtime.db.transaction() as session:
        row = session.execute(
            sa.select(Effect).where(Effect.account == runtime.account, Effect.key == key)
        ).scalar_one_or_none()
        if row is not None and MADE_AT not in (row.detail or {}):
            row.detail = {**(row.detail or {}), MADE_AT: runtime.now().isoformat()}


def ask_title(contact_name: str) -> str:
    """The Ask follow-up's title."""
    first = first_name_of(contact_name)
    return single_line(
        f"Send {first} your ask for a short conversation" if first else "Send your ask"
    )


def _read_contact(runtime: Runtime, record_id: str) -> AirtableContact | None:
    pages = read_contacts(runtime.need_airtable(), record_ids=[record_id])
    found = [c for page in pages for c in page.records if c.record_id == record_id]
    return found[0] if found else None


def _started(runtime: Runtime, key: str) -> bool:
    with runtime.db.read() as session:
        return ledger.get_effect(session, key, account=runtime.account) is not None


def _no_email(contact: AirtableContact) -> str:
    name = contact.name or contact.record_id
    return (
        f"{name}'s Draft Ask is ticked but the contact has no Email: add their address in "
        "Airtable and the ask is drafted"
    )


def _facts(runtime: Runtime, contact: AirtableContact) -> AskFacts:
    return ask_facts(
        runtime, contact, why_them=contact.why_them, introducer=_introducer(runtime, contact)
    )


def _introducer(runtime: Runtime, contact: AirtableContact) -> str:
    """The introducer's name (Referred By, the first when several), as the store knows it."""
    record_id = next(iter(contact.referred_by or ()), None)
    if record_id is None or record_id == contact.record_id:
        return ""
    with runtime.db.read() as session:
        person = person_by_airtable_id(session, record_id, account=runtime.account)
        return (person.name or "") if person is not None else ""


def write_with_follow_up(
    runtime: Runtime,
    key: str,
    message: DraftMessage,
    kind: FollowUpKind,
    title: str,
    record_id: str,
) -> str:
    """The draft (an ask or a nudge) written once under `key`, and its follow-up of `kind`
    (same key; Draft = the draft's link, Contact = `record_id`); returns the link."""
    purpose = outbox.ASK if kind is FollowUpKind.ASK else outbox.NUDGE
    ref = outbox.write_draft(runtime, key, message, purpose=purpose)
    remember_made(runtime, key)
    link = draft_link(runtime, ref)
    with runtime.db.read() as session:
        person = person_by_airtable_id(session, record_id, account=runtime.account)
        person_id = person.id if person is not None else None
    plan = FollowUpPlan(key, kind, title, local_date(runtime.now(), user_zone_of(runtime)))
    write_followups(runtime, [Owed(plan, person_id, record_id, draft_url=link)])
    return link


class Addressee(Protocol):
    """Whom an ask or a nudge is written to (a Contacts row, or a stored person)."""

    @property
    def email(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def company(self) -> str | None: ...
    @property
    def role(self) -> str | None: ...


def ask_facts(
    runtime: Runtime, to: Addressee, *, why_them: str | None = None, introducer: str = ""
) -> AskFacts:
    """What an ask or a nudge to this contact says, with the user's settings."""
    return AskFacts(
        contact_email=to.email or "",
        contact_name=to.name,
        about_me=runtime.config.about_me,
        sender_name=runtime.config.sender_name,
        why_them=why_them or "",
        company=to.company or "",
        role=to.role or "",
        introducer=introducer,
    )
