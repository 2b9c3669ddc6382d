"""People and their emails: one person whatever the sources, found by any folded email.

    person = find_person(s, "Jane.Doe+work@gmail.com")    # any of their addresses, folded
    person = save_person(s, merge_person(airtable_row, google_contact))   # upsert from sources
    view = person_view(person)                              # back to the rules' PersonView

A view that comes from Airtable (has `airtable_id`) overwrites what Airtable owns; a
Google-only view only fills the name, company and role the person lacks (Airtable wins).
An address already owned by another person is not moved (logged as `store.email_taken`).

Writers of one account's people take turns (`lock_people`, taken by `PeopleBatch.load`), so
two sources syncing at once never both create the person for one new address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session, selectinload

from workflows.rules.emails import fold_email
from workflows.rules.people import PersonView
from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.followups import open_of_kind
from workflows.store.models import Person, PersonEmail

log = structlog.get_logger(__name__)


def find_person(session: Session, email: str, *, account: str = DEFAULT_ACCOUNT) -> Person | None:
    """The person one of whose addresses folds to the same form as `email`."""
    return find_person_by_emails(session, [email], account=account)


def find_person_by_emails(
    session: Session, emails: Iterable[str], *, account: str = DEFAULT_ACCOUNT
) -> Person | None:
    """The person owning the first of `emails` that is known (folded comparison)."""
    for folded in dict.fromkeys(fold_email(e) for e in emails if e):
        query = (
            sa.select(Person)
            .join(PersonEmail)
            .where(PersonEmail.account == account, PersonEmail.email == folded)
        )
        person = session.execute(query).scalar_one_or_none()
        if person is not None:
            return person
    return None


def person_by_airtable_id(
    session: Session, record_id: str, *, account: str = DEFAULT_ACCOUNT
) -> Person | None:
    """The person whose Airtable Contacts record is `record_id`."""
    return _one(session, account, Person.airtable_record_id == record_id)


def person_by_google_resource(
    session: Session, resource_name: str, *, account: str = DEFAULT_ACCOUNT
) -> Person | None:
    """The person whose Google contact is `resource_name` (`people/c123`)."""
    return _one(session, account, Person.google_resource_name == resource_name)


def lock_people(session: Session, *, account: str = DEFAULT_ACCOUNT) -> None:
    """Hold the account's people until the transaction ends; the next writer waits for it.

    On PostgreSQL a transaction-scoped advisory lock (taking it twice is fine); on SQLite
    every writing transaction holds the whole database already (`BEGIN IMMEDIATE`).
    """
    if session.get_bind().dialect.name == "postgresql":
        key = f"followthrough.people:{account}"
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def save_person(session: Session, view: PersonView, *, account: str = DEFAULT_ACCOUNT) -> Person:
    """Create or update the person `view` describes and attach its addresses; flushed."""
    return save_people(session, [view], account=account)[0]


def save_people(
    session: Session, views: Iterable[PersonView], *, account: str = DEFAULT_ACCOUNT
) -> list[Person]:
    """`save_person` for each view in turn, the people they may match read in a few queries."""
    listed = list(views)
    batch = PeopleBatch.load(session, listed, account=account)
    saved = [batch.save(view) for view in listed]
    session.flush()
    return saved


class PeopleBatch:
    """The stored people a batch of views may match, by Airtable id, Google resource and email.

    Read in a few queries before the batch is saved and kept current while it is, so that
    saving thousands of contacts costs a handful of statements instead of several each.
    Flush the session after the last `save`.
    """

    def __init__(self, session: Session, account: str, people: Iterable[Person]) -> None:
        self.session, self.account = session, account
        self.by_airtable: dict[str, Person] = {}
        self.by_google: dict[str, Person] = {}
        self.by_email: dict[str, PersonEmail] = {}
        for person in people:
            if person.airtable_record_id:
                self.by_airtable.setdefault(person.airtable_record_id, person)
            if person.google_resource_name:
                self.by_google.setdefault(person.google_resource_name, person)
            for row in person.emails:
                self.by_email[row.email] = row

    @classmethod
    def load(
        cls, session: Session, views: list[PersonView], *, account: str = DEFAULT_ACCOUNT
    ) -> PeopleBatch:
        """Everyone owning an Airtable id, a Google resource or an address of `views`.

        Takes the account's people lock first (`lock_people`): what is read here stays true
        until the transaction that saves the batch ends.
        """
        lock_people(session, account=account)
        airtable = sorted({v.airtable_id for v in views if v.airtable_id})
        google = sorted({v.google_resource for v in views if v.google_resource})
        emails = sorted({fold_email(e) for v in views for e in v.emails if e})
        found: dict[int, Person] = {}
        for column, values in (
            (Person.airtable_record_id, airtable),
            (Person.google_resource_name, google),
        ):
            for chunk in _chunks(values):
                found.update(_load(session, account, column.in_(chunk)))
        for chunk in _chunks(emails):
            owners = sa.select(PersonEmail.person_id).where(
                PersonEmail.account == account, PersonEmail.email.in_(chunk)
            )
            found.update(_load(session, account, Person.id.in_(owners)))
        return cls(session, account, found.values())

    def find(self, email: str | None) -> Person | None:
        """The person owning `email` (folded), as stored or saved in this batch so far."""
        row = self.by_email.get(fold_email(email)) if email else None
        return row.person if row is not None else None

    def save(self, view: PersonView) -> Person:
        """Create or update the person `view` describes and attach its addresses (no flush)."""
        person = _match(self, view)
        if person is None:
            person = Person(account=self.account)
            self.session.add(person)
        if view.in_airtable:
            _take_airtable_fields(person, view)
            self.by_airtable[view.airtable_id or ""] = person
        else:
            _fill_from_google(person, view)
        _take_google_resource(self, person, view)
        _attach_emails(self, person, view, self.account)
        return person


def _load(
    session: Session, account: str, condition: sa.ColumnElement[bool]
) -> Iterable[tuple[int, Person]]:
    query = (
        sa.select(Person)
        .where(Person.account == account, condition)
        .options(selectinload(Person.emails))
    )
    return ((p.id, p) for p in session.execute(query).scalars())


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def forget_airtable_record(
    session: Session, record_id: str, *, account: str = DEFAULT_ACCOUNT
) -> Person | None:
    """Mark that the person's Airtable record was deleted (they are no longer a contact)."""
    person = person_by_airtable_id(session, record_id, account=account)
    if person is not None:
        person.airtable_deleted = True
    return person


def forget_airtable_records_except(
    session: Session, kept: Collection[str], *, account: str = DEFAULT_ACCOUNT
) -> int:
    """After a full read of Contacts: mark every other record as deleted; how many were."""
    query = sa.select(Person.id, Person.airtable_record_id).where(
        Person.account == account,
        Person.airtable_record_id.is_not(None),
        Person.airtable_deleted.is_(False),
    )
    gone = [pid for pid, record_id in session.execute(query) if record_id not in kept]
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        session.execute(sa.update(Person).where(Person.id.in_(chunk)).values(airtable_deleted=True))
    return len(gone)


def forget_google_contact(
    session: Session, resource_name: str, *, account: str = DEFAULT_ACCOUNT
) -> Person | None:
    """Mark that the person's Google contact was deleted."""
    person = person_by_google_resource(session, resource_name, account=account)
    if person is not None:
        person.google_deleted = True
    return person


def people_due_for_update(
    session: Session,
    today: dt.date,
    *,
    account: str = DEFAULT_ACCOUNT,
    unless_open: str | None = None,
) -> list[Person]:
    """Active Airtable contacts whose Next Update Due is today or earlier, soonest first.

    `unless_open` leaves out those with a follow-up of that kind not yet done (in the query:
    most due contacts have theirs already, and each loaded person costs).
    """
    query = sa.select(Person).where(
        Person.account == account,
        Person.airtable_record_id.is_not(None),
        Person.airtable_deleted.is_(False),
        Person.inactive.is_(False),
        Person.next_update_due <= today,
    )
    if unless_open is not None:
        query = query.where(~open_of_kind(Person.id, unless_open, account=account).exists())
    return list(session.execute(query.order_by(Person.next_update_due, Person.id)).scalars())


def person_view(person: Person) -> PersonView:
    """The rules' view of a stored person (primary address first)."""
    emails = sorted(person.emails, key=lambda e: (not e.is_primary, e.id or 0))
    return PersonView(
        name=person.name or "",
        emails=tuple(e.original for e in emails),
        company=person.company,
        role=person.role,
        airtable_id=person.live_airtable_id,
        google_resource=person.google_resource_name,
        stage=person.stage,
        last_met=person.last_met,
        next_update_due=person.next_update_due,
        update_every_days=person.update_every_days,
        why_them=person.why_them,
        notes=person.notes,
        referred_by=person.referred_by,
    )


def _one(session: Session, account: str, condition: sa.ColumnElement[bool]) -> Person | None:
    query = sa.select(Person).where(Person.account == account, condition)
    return session.execute(query).scalar_one_or_none()


def _match(index: PeopleBatch, view: PersonView) -> Person | None:
    if view.airtable_id:
        person = index.by_airtable.get(view.airtable_id)
        if person is not None:
            return person
    if view.google_resource:
        person = index.by_google.get(view.google_resource)
        if person is not None and _compatible(person, view):
            return person
    found = (index.by_email.get(fold_email(e)) for e in view.emails if e)
    row = next((r for r in found if r is not None), None)
    person = row.person if row is not None else None
    return person if person is not None and _compatible(person, view) else None


def _compatible(person: Person, view: PersonView) -> bool:
    """False when both are live Airtable rows with different ids (two contacts, one email)."""
    other = person.live_airtable_id
    return not (view.airtable_id and other and other != view.airtable_id)


def _take_airtable_fields(person: Person, view: PersonView) -> None:
    person.airtable_record_id = view.airtable_id
    person.airtable_deleted = False
    person.name = view.name or person.name
    person.company = view.company or person.google_company
    person.role = view.role or person.google_role
    person.stage = view.stage
    person.inactive = view.inactive
    person.last_met = view.last_met
    person.next_update_due = view.next_update_due
    person.update_every_days = view.update_every_days
    person.why_them = view.why_them
    person.notes = view.notes
    person.referred_by = view.referred_by


def _fill_from_google(person: Person, view: PersonView) -> None:
    """Google (or an invite) fills what Airtable lacks, whichever source is read first.

    A Google contact's company and role are also kept apart, to show again when Airtable's
    are emptied. A person in Airtable keeps Airtable's (Google only fills a gap); for anyone
    else Google's are the only ones, and a change at Google replaces them.
    """
    person.name = person.name or view.name or None
    in_airtable = person.live_airtable_id is not None
    if not view.google_resource or in_airtable:
        person.company = person.company or view.company
        person.role = person.role or view.role
    else:
        person.company, person.role = view.company, view.role
    if view.google_resource:
        person.google_company, person.google_role = view.company, view.role


def _take_google_resource(index: PeopleBatch, person: Person, view: PersonView) -> None:
    if not view.google_resource or person.google_resource_name == view.google_resource:
        return
    holder = index.by_google.get(view.google_resource)
    if holder is not None and holder is not person:
        log.warning("store.google_contact_taken", resource=view.google_resource, person=holder.id)
        return
    person.google_resource_name = view.google_resource
    person.google_deleted = False
    index.by_google[view.google_resource] = person


def _attach_emails(known: PeopleBatch, person: Person, view: PersonView, account: str) -> None:
    for index, address in enumerate(view.emails):
        folded = fold_email(address)
        mine = next((e for e in person.emails if e.email == folded), None)
        if mine is None:
            owner = known.by_email.get(folded)
            if owner is not None:
                log.warning(
                    "store.email_taken",
                    person=owner.person_id,
                    account=account,
                    email=folded,
                    airtable_id=view.airtable_id,
                    reason="another contact already has this email; merge or correct the "
                    "duplicate in Airtable",
                )
                continue
            mine = PersonEmail(account=account, email=folded, original=address)
            person.emails.append(mine)
            known.by_email[folded] = mine
        elif view.in_airtable:
            mine.original = address  # Airtable's spelling: the one a new row is written with
        if index == 0 and (view.in_airtable or not any(e.is_primary for e in person.emails)):
            for other in person.emails:
                other.is_primary = other is mine


def contact_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The name (else the primary email) of each person among `ids`, by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = sa.select(Person).where(Person.id.in_(wanted)).options(selectinload(Person.emails))
    return {p.id: p.name or p.primary_email or "" for p in session.execute(query).scalars()}
