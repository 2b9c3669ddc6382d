"""Google Contacts into the store: people merged by email, deletions and renames followed.

Off (nothing read) when the user did not grant Followthrough the contacts scope.
"""

from __future__ import annotations

from functools import partial

import structlog
from sqlalchemy.orm import Session

from connectors.google.auth import CONTACTS_SCOPE
from connectors.records import GoogleContact, Page
from workflows.rules.people import merge_person
from workflows.runtime import Runtime
from workflows.store.people import (
    forget_google_contact,
    lock_people,
    person_by_google_resource,
    save_people,
)
from workflows.sync.report import SyncReport
from workflows.sync.stream import Stream

log = structlog.get_logger(__name__)

SOURCE = "google_contacts"


def sync_contacts(runtime: Runtime) -> SyncReport:
    """One incremental pass over Google Contacts (a full one when there is no valid cursor)."""
    google = runtime.need_google()
    report = SyncReport(SOURCE, progress=runtime.on_sync_page)
    if not google.allows(CONTACTS_SCOPE):  # the user unticked it: people come from elsewhere
        log.info("contacts.off", reason="Google Contacts access was not granted")
        return report
    stream = Stream(runtime, SOURCE)
    pages = google.contacts.sync(stream.cursor())
    stream.follow(pages, partial(_apply_page, account=runtime.account), report)
    return report


def _apply_page(session: Session, page: Page[GoogleContact], *, account: str) -> None:
    """Deletions and renames first, then every other contact of the page saved together."""
    lock_people(session, account=account)
    live: list[GoogleContact] = []
    for contact in page.records:
        if contact.deleted:
            forget_google_contact(session, contact.resource_name, account=account)
            continue
        _follow_rename(session, contact, account)
        live.append(contact)
    save_people(session, [merge_person(None, contact) for contact in live], account=account)


def _follow_rename(session: Session, contact: GoogleContact, account: str) -> None:
    """A contact whose resource name changed keeps its person (People API renames happen)."""
    for previous in contact.previous_resource_names:
        person = person_by_google_resource(session, previous, account=account)
        if person is not None:
            person.google_resource_name = contact.resource_name
            session.flush()
            log.info("contacts.renamed", previous=previous, current=contact.resource_name)
            return
