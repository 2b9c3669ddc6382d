"""People API connections in the sandbox, driven through the real google-api-python-client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import call, service

FIELDS = "names,emailAddresses,metadata"


def _sync(people: Any, **params: Any) -> tuple[list[dict[str, Any]], str | None, int]:
    """Every connection over all pages, the final nextSyncToken, and the number of pages."""
    found, token, pages = [], None, 0
    while True:
        page = (
            people.people()
            .connections()
            .list(
                resourceName="people/me",
                personFields=FIELDS,
                requestSyncToken=True,
                pageToken=token,
                **params,
            )
            .execute()
        )
        pages += 1
        found.extend(page.get("connections", []))
        token = page.get("nextPageToken")
        if not token:
            return found, page.get("nextSyncToken"), pages


@pytest.fixture
def people(sandbox: Sandbox) -> Any:
    return service(sandbox, "people")


def test_connections_carry_only_the_requested_fields(people: Any) -> None:
    page = (
        people.people()
        .connections()
        .list(resourceName="people/me", personFields="emailAddresses")
        .execute()
    )
    ada = next(p for p in page["connections"] if p["resourceName"] == "people/c1001")
    assert set(ada) == {"resourceName", "etag", "emailAddresses"}
    assert ada["emailAddresses"][0]["value"] == "ada@analytical.example"
    assert page["totalPeople"] == 2


def test_person_fields_is_required(sandbox: Sandbox) -> None:
    status, body = call(sandbox, "GET", "/v1/people/me/connections")
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert "personFields mask is required" in body["error"]["message"]


def test_page_size_over_1000_is_refused(people: Any) -> None:
    with pytest.raises(HttpError) as caught:
        people.people().connections().list(
            resourceName="people/me", personFields=FIELDS, pageSize=1001
        ).execute()
    assert caught.value.resp.status == 400


def test_many_contacts_page_through_each_once(sandbox_factory: Callable[..., Sandbox]) -> None:
    fixture = small_fixture()
    fixture["google"]["contacts"] = [
        {
            "resourceName": f"people/c{n}",
            "names": [{"displayName": f"Person {n:04d}"}],
            "emailAddresses": [{"value": f"p{n}@x.example"}],
        }
        for n in range(2500)
    ]
    found, token, pages = _sync(service(sandbox_factory(fixture), "people"), pageSize=1000)
    assert pages == 3 and len({p["resourceName"] for p in found}) == 2500 and token


def test_short_and_empty_pages_still_reach_the_sync_token(people: Any, sandbox: Sandbox) -> None:
    sandbox.set_page_limits("people", max_page=1, empty_pages=1)
    found, token, pages = _sync(people)
    assert (len(found), pages) == (2, 3) and token


def test_incremental_sync_reports_changes_deletions_and_renames(
    people: Any, sandbox: Sandbox
) -> None:
    _, token, _ = _sync(people)
    assert _sync(people, syncToken=token)[0] == []
    sandbox.update_contact("people/c1001", {"emailAddresses": [{"value": "ada@new.example"}]})
    sandbox.delete_contact("people/c1002")
    sandbox.add_contact({"resourceName": "people/c2000", "names": [{"displayName": "Alan Turing"}]})
    sandbox.rename_contact("people/c2000", "people/c2001")
    changes, token2, _ = _sync(people, syncToken=token)
    by_name = {p["resourceName"]: p for p in changes}
    assert by_name["people/c1001"]["emailAddresses"][0]["value"] == "ada@new.example"
    assert by_name["people/c1002"]["metadata"]["deleted"] is True
    assert by_name["people/c2001"]["metadata"]["previousResourceNames"] == ["people/c2000"]
    assert _sync(people, syncToken=token2)[0] == []


def test_an_expired_sync_token_is_failed_precondition(people: Any, sandbox: Sandbox) -> None:
    _, token, _ = _sync(people)
    sandbox.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        _sync(people, syncToken=token)
    assert caught.value.resp.status == 400
    assert caught.value.error_details[0]["reason"] == "EXPIRED_SYNC_TOKEN"
    assert caught.value.reason.startswith("Sync token is expired")


def test_an_expired_sync_token_can_answer_without_a_reason(people: Any, sandbox: Sandbox) -> None:
    _, token, _ = _sync(people)
    sandbox.expire_sync_tokens("people", with_reason=False)

    with pytest.raises(HttpError) as caught:
        _sync(people, syncToken=token)

    body = json.loads(caught.value.content)["error"]
    assert (body["code"], body["status"]) == (400, "FAILED_PRECONDITION")
    assert body["message"].startswith("Sync token is expired")
    assert "details" not in body
