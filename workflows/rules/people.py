"""One person from many sources, and who on a calendar invite is a contact.

    merge_person(airtable, google) -> PersonView       # Airtable wins, Google fills gaps
    Directory.build(airtable_contacts, google_contacts) -> Directory
    directory.find(email) -> PersonView | None          # by any of the person's emails, folded
    external_attendees(event, user_email) -> tuple[Attendee, ...]

Self, resources (rooms), attendees without a usable email, and attendees of the user's own
domain (unless that domain is a public mail provider) are never contacts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from connectors.airtable.tables import AirtableContact
from connectors.records import Attendee, CalendarEvent, GoogleContact, Skipped
from workflows.rules.emails import (
    domain_of,
    fold_email,
    is_public_domain,
    looks_like_email,
    plain_address,
)

INACTIVE = "Inactive"
_HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame"})


@dataclass(frozen=True)
class PersonView:
    """A person as the rules see them: Airtable's fields, with Google's where Airtable is empty."""

    name: str
    emails: tuple[str, ...] = ()  # primary first, as written by the source
    company: str | None = None
    role: str | None = None
    given_name: str | None = None
    airtable_id: str | None = None
    google_resource: str | None = None
    stage: str | None = None
    last_met: dt.date | None = None
    next_update_due: dt.date | None = None
    update_every_days: int | None = None
    why_them: str | None = None
    referred_by: str | None = None  # the introducer's Contacts record id
    draft_ask: bool = False

    @property
    def email(self) -> str | None:
        """The primary address (Airtable's when it has one)."""
        return self.emails[0] if self.emails else None

    @property
    def folded_emails(self) -> frozenset[str]:
        """Every address of this person in comparable form."""
        return frozenset(fold_email(e) for e in self.emails)

    @property
    def first_name(self) -> str:
        """The name to greet them by: Google's given name when the name came from Google."""
        return first_name_of(self.name, given_name=self.given_name)

    @property
    def in_airtable(self) -> bool:
        """True when the person is a row of the Airtable Contacts table."""
        return self.airtable_id is not None

    @property
    def inactive(self) -> bool:
        """True when the user set the contact's Stage to Inactive."""
        return (self.stage or "").strip().casefold() == INACTIVE.casefold()


def first_name_of(name: str, *, given_name: str | None = None) -> str:
    """The first name in `name` ("Doe, Jane" or "Dr. Jane Doe" -> "Jane"); `given_name` (Google's)
    when `name` is empty or starts with it."""
    text = " ".join(name.split())
    if given_name and (not text or text.startswith(given_name.strip())):
        return " ".join(given_name.split())
    if "," in text:
        text = text.split(",", 1)[1].strip() or text
    words = [w for w in text.split(" ") if w]
    while len(words) > 1 and words[0].rstrip(".").casefold() in _HONORIFICS:
        words = words[1:]
    return words[0].rstrip(",") if words else ""  # "Doe, Jane, PhD": "Jane", not "Jane,"


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


def _unique_emails(addresses: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for address in addresses:
        folded = fold_email(address)
        if looks_like_email(address) and folded not in seen:
            seen.add(folded)
            kept.append(plain_address(address))
    return tuple(kept)


def _google_name(google: GoogleContact) -> str | None:
    full = " ".join(filter(None, (google.given_name, google.family_name)))
    return _first(google.display_name, full)


def merge_person(airtable: AirtableContact | None, google: GoogleContact | None) -> PersonView:
    """Merge one person's records: Airtable wins; Google fills name, company and role it lacks."""
    if airtable is None and google is None:
        raise ValueError("merge_person needs at least one source record")
    at = airtable or AirtableContact(record_id="", name="")
    g = google or GoogleContact(resource_name="")
    name_from_google = not at.name.strip()
    return PersonView(
        name=_first(at.name, _google_name(g)) or "",
        emails=_unique_emails([*([at.email] if at.email else []), *g.emails]),
        company=_first(at.company, g.company),
        role=_first(at.role, g.role),
        given_name=g.given_name if name_from_google else None,
        airtable_id=airtable.record_id if airtable else None,
        google_resource=_first(at.google_contact, g.resource_name),
        stage=at.stage,
        last_met=at.last_met,
        next_update_due=at.next_update_due,
        update_every_days=at.update_every_days,
        why_them=at.why_them,
        referred_by=next(iter(at.referred_by or ()), None),
        draft_ask=bool(at.draft_ask),
    )


@dataclass(frozen=True)
class Directory:
    """Everyone known, looked up by any email; `skipped` says which records could not be used."""

    people: tuple[PersonView, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    _by_email: Mapping[str, PersonView] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )

    @classmethod
    def build(
        cls, airtable: Iterable[AirtableContact], google: Iterable[GoogleContact]
    ) -> Directory:
        """Join Airtable and Google contacts by folded email into one directory.

        Two Airtable rows with the same email: the first wins, the second is skipped with a
        reason. A Google contact joins the first Airtable row any of its emails matches.
        """
        by_email: dict[str, AirtableContact] = {}
        skipped: list[Skipped] = []
        rows: list[AirtableContact] = []
        for row in airtable:
            key = fold_email(row.email) if row.email else None
            if key and key in by_email:
                reason = _duplicate_reason(row, by_email[key])
                skipped.append(Skipped("airtable", row.record_id, reason))
                continue
            if key:
                by_email[key] = row
            rows.append(row)
        pairs: dict[str, GoogleContact] = {}
        google_only: list[GoogleContact] = []
        for contact in google:
            if contact.deleted:
                continue
            folded = (fold_email(e) for e in contact.emails)
            match = next((by_email[f] for f in folded if f in by_email), None)
            if match is not None and match.record_id not in pairs:
                pairs[match.record_id] = contact
            else:
                google_only.append(contact)
        people = [merge_person(row, pairs.get(row.record_id)) for row in rows]
        people += [merge_person(None, contact) for contact in google_only]
        return cls(tuple(people), tuple(skipped), MappingProxyType(_index(people)))

    @classmethod
    def of(cls, people: Iterable[PersonView]) -> Directory:
        """A directory of people already merged (e.g. from the store), the first owning an email."""
        listed = tuple(people)
        return cls(listed, (), MappingProxyType(_index(listed)))

    def find(self, email: str | None) -> PersonView | None:
        """The person with `email` among any of their addresses (folded), if known."""
        if not email:
            return None
        return self._by_email.get(fold_email(email))


def _duplicate_reason(row: AirtableContact, kept: AirtableContact) -> str:
    return (
        f"Contacts record {row.record_id} has the same email as {kept.record_id}; "
        f"using {kept.record_id}. Merge or correct the duplicate in Airtable."
    )


def _index(people: Iterable[PersonView]) -> dict[str, PersonView]:
    index: dict[str, PersonView] = {}
    for person in people:
        for folded in sorted(person.folded_emails):
            # Airtable people come first, so they keep an address a Google-only person shares.
            index.setdefault(folded, person)
    return index


def is_internal(address: str, user_email: str) -> bool:
    """True for the user themself, or a colleague on the user's own (non-public) domain."""
    if fold_email(address) == fold_email(user_email):
        return True
    own = domain_of(user_email)
    return own is not None and not is_public_domain(own) and domain_of(address) == own


def external_attendees(event: CalendarEvent, user_email: str) -> tuple[Attendee, ...]:
    """The attendees who could be contacts: not self, not rooms, not colleagues, with an email."""
    return tuple(
        a
        for a in event.attendees
        if not a.is_self
        and not a.is_resource
        and looks_like_email(a.email)
        and not is_internal(a.email, user_email)
    )


def other_attendees(event: CalendarEvent, user_email: str) -> tuple[Attendee, ...]:
    """Every attendee except the user and meeting rooms (what "at most 3 others" counts)."""
    me = fold_email(user_email)
    return tuple(
        a
        for a in event.attendees
        if not a.is_self and not a.is_resource and fold_email(a.email or "") != me
    )


def self_entries(event: CalendarEvent, user_email: str) -> tuple[Attendee, ...]:
    """The user's own attendee entries: Google's self flag, or an address folding to theirs."""
    me = fold_email(user_email)
    return tuple(a for a in event.attendees if a.is_self or fold_email(a.email or "") == me)
