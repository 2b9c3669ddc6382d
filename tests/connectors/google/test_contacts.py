"""Contacts sync against the sandbox: cursor, changes, deletions, renames, expiry, faults."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.google.client import GoogleClient
from connectors.records import GoogleContact, Page
from connectors.sandbox.server import Sandbox
from tests.connectors.google.worlds import person, world

Factory = Callable[..., Sandbox]


def sync(client: GoogleClient, cursor: str | None = None) -> list[Page[GoogleContact]]:
    """Run one whole sync pass."""
    return list(client.contacts.sync(cursor))


def by_name(pages: list[Page[GoogleContact]]) -> dict[str, GoogleContact]:
    return {c.resource_name: c for page in pages for c in page.records}


@pytest.fixture
def box(sandbox_factory: Factory) -> Sandbox:
    return sandbox_factory(world(contacts=[person(i) for i in range(1, 6)]))


def test_first_sync_reads_everyone_and_ends_with_a_cursor(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    box.set_page_limits("people", max_page=2, empty_pages=1)

    pages = sync(google_client(box))
    contacts = by_name(pages)

    assert len(contacts) == 5
    first = contacts[person(1)["resourceName"]]
    assert (first.display_name, first.emails, first.company) == (
        "Person 1",
        ("person1@example.com",),
        "Example Corp",
    )
    assert all(p.full_sync for p in pages)
    assert pages[-1].next_cursor and all(p.next_cursor is None for p in pages[:-1])


def test_second_sync_brings_nothing_in_one_request(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    cursor = sync(client)[-1].next_cursor
    box.reset_requests()

    pages = sync(client, cursor)

    assert by_name(pages) == {}
    assert box.request_counts() == {"people.connections.list": 1}


def test_incremental_sync_returns_changes_deletions_and_renames(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    cursor = sync(client)[-1].next_cursor
    added = box.add_contact({"names": [{"displayName": "New Person"}]})
    box.update_contact(person(2)["resourceName"], {"emailAddresses": [{"value": "p2@new.example"}]})
    box.delete_contact(person(3)["resourceName"])
    box.rename_contact(person(4)["resourceName"], "people/c9999999999999999999")

    pages = sync(client, cursor)
    changed = by_name(pages)

    assert not any(p.full_sync for p in pages)
    assert changed[added["resourceName"]].display_name == "New Person"
    assert changed[added["resourceName"]].emails == ()
    assert changed[person(2)["resourceName"]].emails == ("p2@new.example",)
    assert changed[person(3)["resourceName"]].deleted
    renamed = changed["people/c9999999999999999999"]
    assert renamed.previous_resource_names == (person(4)["resourceName"],)
    assert person(1)["resourceName"] not in changed and person(5)["resourceName"] not in changed


SHAPES = {
    "EXPIRED_SYNC_TOKEN": {},
    "status-and-message": {"with_reason": False},
    "bare-410": {"reason": False},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_expired_cursor_restarts_a_full_sync(
    box: Sandbox, google_client: Callable[..., GoogleClient], shape: str
) -> None:
    # Google names the reason EXPIRED_SYNC_TOKEN, or only says 400 FAILED_PRECONDITION, or a
    # bare 410 naming no reason
    client = google_client(box)
    first = sync(client)
    box.expire_sync_tokens("people", **SHAPES[shape])
    added = box.add_contact({"names": [{"displayName": "Met Meanwhile"}]})

    again = sync(client, first[-1].next_cursor)

    assert all(p.full_sync for p in again)
    assert set(by_name(again)) == set(by_name(first)) | {added["resourceName"]}
    assert by_name(sync(client, again[-1].next_cursor)) == {}


def test_faults_and_an_expired_access_token_are_recovered(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    box.expire_access_tokens()
    box.fail_next("people.connections.list", 429, times=1)
    box.fail_next("people.connections.list", 500, times=1)

    pages = sync(client)

    assert len(by_name(pages)) == 5
    assert box.request_counts()["oauth.token"] == 1
