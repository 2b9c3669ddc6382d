"""The sandbox's Airtable records and metadata API, over HTTP with the real pyairtable client."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from pyairtable import Api, Table
from pyairtable.formulas import EQ, Field
from pyairtable.models.schema import (
    DateTimeFieldSchema,
    MultipleRecordLinksFieldSchema,
    SingleSelectFieldSchema,
)

from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox

BASE_ID = "appFollowCrm00001"
TOKEN = "patFollowthrough.test000000000000000000000000"
DATETIME = {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"}
SandboxFactory = Callable[..., Sandbox]


def crm_fixture(contacts: int = 2) -> dict[str, Any]:
    """The three tables of DESIGN.md's external contract, with `contacts` Contacts records."""
    people = [
        {
            "id": "recAda00000000001",
            "fields": {"Name": "Ada Lovelace", "Email": "ada@example.com", "Stage": "Met"},
        },
        {
            "id": "recGrace000000001",
            "fields": {"Name": "Grace O'Hopper", "Email": "grace@example.com"},
        },
    ]
    people += [
        {"id": f"rec{i:014d}", "fields": {"Name": f"Person {i:05d}", "Email": f"p{i}@example.com"}}
        for i in range(max(contacts - 2, 0))
    ]
    select = lambda *names: {"choices": [{"name": n} for n in names]}  # noqa: E731
    link = lambda table: {"linkedTableId": table}  # noqa: E731
    meetings = [
        {"name": "Title", "type": "singleLineText"},
        {"name": "Contact", "type": "multipleRecordLinks", "options": link("Contacts")},
        {"name": "Start", "type": "dateTime", "options": DATETIME},
        {"name": "End", "type": "dateTime", "options": DATETIME},
        {"name": "Event ID", "type": "singleLineText"},
        {
            "name": "Status",
            "type": "singleSelect",
            "options": select("Scheduled", "Completed", "Cancelled"),
        },
        {"name": "Notes", "type": "multilineText"},
        {"name": "Thank-you Draft", "type": "url"},
    ]
    follow_ups = [
        {"name": "Title", "type": "singleLineText"},
        {"name": "Contact", "type": "multipleRecordLinks", "options": link("Contacts")},
        {"name": "Meeting", "type": "multipleRecordLinks", "options": link("Meetings")},
        {
            "name": "Kind",
            "type": "singleSelect",
            "options": select("Thank-you", "Action item", "Progress update"),
        },
        {"name": "Due", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
        {"name": "Status", "type": "singleSelect", "options": select("Open", "Done", "Snoozed")},
        {"name": "Key", "type": "singleLineText"},
    ]
    return {
        "airtable": {
            "base_id": BASE_ID,
            "token": TOKEN,
            "tables": [
                {
                    "name": "Contacts",
                    "fields": copy.deepcopy(CONTACT_FIELDS),
                    "records": people[:contacts],
                },
                {"name": "Meetings", "fields": meetings, "records": []},
                {"name": "Follow-ups", "fields": follow_ups, "records": []},
            ],
        }
    }


def client(box: Sandbox, **kwargs: Any) -> Api:
    """The real pyairtable client pointed at the sandbox."""
    return Api(box.airtable_token, endpoint_url=box.url, **kwargs)


def raw(box: Sandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    """One plain HTTP call with the sandbox's token, for requests pyairtable would not send."""
    headers = {"Authorization": f"Bearer {box.airtable_token}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{box.url}{path}", headers=headers, timeout=10, **kwargs)


def error_of(exc: requests.HTTPError) -> tuple[int, str]:
    """The status and Airtable error type of a refused pyairtable call."""
    assert exc.response is not None
    return exc.response.status_code, exc.response.json()["error"]["type"]


@pytest.fixture
def crm(sandbox_factory: SandboxFactory) -> Sandbox:
    """A sandbox with the CRM base and no rate limit (rate limiting has its own tests)."""
    return sandbox_factory(crm_fixture(), airtable_rate_limit=0)


def table(box: Sandbox, name: str) -> Table:
    """A pyairtable Table on the sandbox base."""
    return client(box).table(box.airtable_base_id, name)


# --- listing ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_pyairtable_pages_through_a_large_table_in_pages_of_at_most_100(
    sandbox_factory: SandboxFactory,
) -> None:
    box = sandbox_factory(crm_fixture(contacts=1234), airtable_rate_limit=0)
    pages = list(table(box, "Contacts").iterate())

    assert [len(p) for p in pages] == [100] * 12 + [34]
    assert len({r["id"] for p in pages for r in p}) == 1234


def test_pages_stay_stable_when_records_change_between_pages(crm: Sandbox) -> None:
    contacts = table(crm, "Contacts")
    pages = contacts.iterate(page_size=1)
    first = next(pages)
    crm.airtable.create_record("Contacts", {"Name": "Zed"})
    rest = [r for page in pages for r in page]

    assert [r["fields"]["Name"] for r in first + rest] == ["Ada Lovelace", "Grace O'Hopper"]


def test_an_expired_offset_is_refused_so_the_reader_starts_over(crm: Sandbox) -> None:
    pages = table(crm, "Contacts").iterate(page_size=1)
    next(pages)
    crm.airtable.expire_list_offsets()
    with pytest.raises(requests.HTTPError) as refused:
        next(pages)

    assert error_of(refused.value) == (422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")


def test_filter_by_formula_finds_the_record_with_a_quoted_name(crm: Sandbox) -> None:
    found = table(crm, "Contacts").all(formula=EQ(Field("Name"), "Grace O'Hopper"))

    assert [r["id"] for r in found] == ["recGrace000000001"]


def test_fields_limits_and_empty_cells_are_left_out(crm: Sandbox) -> None:
    records = table(crm, "Contacts").all(fields=["Name", "Stage"])

    assert records[0]["fields"] == {"Name": "Ada Lovelace", "Stage": "Met"}
    assert records[1]["fields"] == {"Name": "Grace O'Hopper"}


def test_a_long_formula_falls_back_to_post_list_records(crm: Sandbox) -> None:
    keys = [f"key-{i:05d}-{'x' * 40}" for i in range(400)] + ["ada@example.com"]
    formula = "OR(" + ", ".join(f"{{Email}} = '{k}'" for k in keys) + ")"
    found = table(crm, "Contacts").all(formula=formula)

    assert [r["id"] for r in found] == ["recAda00000000001"]
    assert any(e.path.endswith("/listRecords") for e in crm.requests.entries)


@pytest.mark.parametrize(
    ("query", "status", "error_type"),
    [
        ("pageSize=101", 422, "INVALID_REQUEST_UNKNOWN"),
        ("filterByFormula=REGEX_MATCH({Name},'A')", 422, "INVALID_FILTER_BY_FORMULA"),
        ("filterByFormula={Nope}='x'", 422, "INVALID_FILTER_BY_FORMULA"),
        ("offset=itrUnknown/rec1", 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"),
        ("fields[]=Nope", 422, "UNKNOWN_FIELD_NAME"),
        ("cellFormat=string&timeZone=utc&userLocale=en", 422, "INVALID_REQUEST_UNKNOWN"),
    ],
)
def test_bad_list_requests_get_airtables_errors(
    crm: Sandbox, query: str, status: int, error_type: str
) -> None:
    response = raw(crm, "GET", f"/v0/{BASE_ID}/Contacts?{query}")

    assert response.status_code == status
    assert response.json()["error"]["type"] == error_type


def test_unknown_table_is_403_and_bad_token_is_401(crm: Sandbox) -> None:
    unknown = raw(crm, "GET", f"/v0/{BASE_ID}/Nope")
    no_token = requests.get(f"{crm.url}/v0/{BASE_ID}/Contacts", timeout=10)
    bad_token = raw(
        crm, "GET", f"/v0/{BASE_ID}/Contacts", headers={"Authorization": "Bearer patWrong"}
    )

    assert unknown.status_code == 403
    assert unknown.json()["error"]["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    assert [no_token.status_code, bad_token.status_code] == [401, 401]
    assert bad_token.json()["error"]["type"] == "AUTHENTICATION_REQUIRED"


# --- writing ---------------------------------------------------------------------------------


def test_batch_create_is_chunked_by_pyairtable_and_refused_over_10(crm: Sandbox) -> None:
    created = table(crm, "Follow-ups").batch_create(
        [{"Title": f"Task {i}", "Status": "Open"} for i in range(23)]
    )
    too_many = raw(
        crm, "POST", f"/v0/{BASE_ID}/Follow-ups", json={"records": [{"fields": {}}] * 11}
    )

    assert len(created) == 23 and len(crm.airtable.records("Follow-ups")) == 23
    assert too_many.status_code == 422
    assert len(crm.airtable.records("Follow-ups")) == 23


def test_select_values_outside_the_choices_are_refused_unless_typecast(crm: Sandbox) -> None:
    follow_ups = table(crm, "Follow-ups")
    with pytest.raises(requests.HTTPError) as refused:
        follow_ups.create({"Title": "Call", "Status": "Someday"})
    follow_ups.create({"Title": "Call", "Status": "Someday"}, typecast=True)
    status = follow_ups.schema(force=True).field("Status")

    assert error_of(refused.value) == (422, "INVALID_MULTIPLE_CHOICE_OPTIONS")
    assert isinstance(status, SingleSelectFieldSchema)
    assert "Someday" in [c.name for c in status.options.choices]


def test_linked_records_are_arrays_of_existing_record_ids(crm: Sandbox) -> None:
    meetings = table(crm, "Meetings")
    meeting = meetings.create(
        {"Title": "Coffee", "Contact": ["recAda00000000001"], "Start": "2026-03-02T15:00:00Z"}
    )
    with pytest.raises(requests.HTTPError) as dangling:
        meetings.create({"Title": "Ghost", "Contact": ["recDoesNotExist01"]})
    by_contact = meetings.all(formula="FIND('Ada Lovelace', {Contact})")

    assert meeting["fields"]["Contact"] == ["recAda00000000001"]
    assert meeting["fields"]["Start"] == "2026-03-02T15:00:00.000Z"
    assert error_of(dangling.value) == (422, "ROW_DOES_NOT_EXIST")
    assert [m["id"] for m in by_contact] == [meeting["id"]]


def test_upsert_creates_then_updates_by_key(crm: Sandbox) -> None:
    follow_ups = table(crm, "Follow-ups")
    row = {
        "fields": {
            "Key": "thank-you:evt1:2026-03-02T15:00:00Z",
            "Title": "Thank Ada",
            "Status": "Open",
        }
    }
    first = follow_ups.batch_upsert([row], key_fields=["Key"])
    row["fields"]["Status"] = "Done"
    second = follow_ups.batch_upsert([row], key_fields=["Key"])

    assert len(first["createdRecords"]) == 1 and first["updatedRecords"] == []
    assert second["updatedRecords"] == first["createdRecords"] and second["createdRecords"] == []
    assert [r["fields"]["Status"] for r in crm.airtable.records("Follow-ups")] == ["Done"]


@pytest.mark.parametrize(
    ("field", "kind", "value"),
    [
        ("Thank-you Draft", "url", "https://mail.google.com/mail/#drafts/1"),
        ("Contact", "multipleRecordLinks", ["recAda00000000001"]),
    ],
)
def test_upsert_refuses_to_merge_on_a_field_airtable_cannot_merge_on(
    crm: Sandbox, field: str, kind: str, value: Any
) -> None:
    with pytest.raises(requests.HTTPError) as refused:
        table(crm, "Meetings").batch_upsert([{"fields": {field: value}}], key_fields=[field])

    assert error_of(refused.value) == (422, "INVALID_VALUE_FOR_COLUMN")
    message = refused.value.response.json()["error"]["message"]  # type: ignore[union-attr]
    assert kind in message and field in message
    assert crm.airtable.records("Meetings") == []


def test_upsert_merges_on_email_only_where_the_user_made_it_single_line_text(
    sandbox_factory: SandboxFactory,
) -> None:
    row = {"fields": {"Email": "ada@example.com", "Role": "Countess"}}
    as_created = sandbox_factory(crm_fixture(), airtable_rate_limit=0)  # Email is `email`
    fixture = crm_fixture()
    [contacts] = [t for t in fixture["airtable"]["tables"] if t["name"] == "Contacts"]
    [email] = [f for f in contacts["fields"] if f["name"] == "Email"]
    email["type"] = "singleLineText"
    made_text = sandbox_factory(fixture, airtable_rate_limit=0)

    with pytest.raises(requests.HTTPError) as refused:
        table(as_created, "Contacts").batch_upsert([row], key_fields=["Email"])
    merged = table(made_text, "Contacts").batch_upsert([row], key_fields=["Email"])

    assert error_of(refused.value) == (422, "INVALID_VALUE_FOR_COLUMN")
    assert len(as_created.airtable.records("Contacts")) == 2  # nothing was created
    assert merged["updatedRecords"] == ["recAda00000000001"] and not merged["createdRecords"]


def test_upsert_fails_when_more_than_one_record_matches(crm: Sandbox) -> None:
    crm.airtable.create_record("Follow-ups", {"Key": "dup", "Title": "One"})
    crm.airtable.create_record("Follow-ups", {"Key": "dup", "Title": "Two"})
    with pytest.raises(requests.HTTPError) as failed:
        table(crm, "Follow-ups").batch_upsert(
            [{"fields": {"Key": "dup", "Title": "Three"}}], key_fields=["Key"]
        )

    assert error_of(failed.value)[0] == 422
    assert sorted(r["fields"]["Title"] for r in crm.airtable.records("Follow-ups")) == [
        "One",
        "Two",
    ]


def test_put_clears_unnamed_fields_and_patch_keeps_them(crm: Sandbox) -> None:
    contacts = table(crm, "Contacts")
    patched = contacts.update("recAda00000000001", {"Company": "Analytical Engines"})
    replaced = contacts.update("recAda00000000001", {"Name": "Ada"}, replace=True)

    assert patched["fields"]["Email"] == "ada@example.com"
    assert replaced["fields"] == {"Name": "Ada"}


def test_a_bad_batch_applies_nothing(crm: Sandbox) -> None:
    response = raw(
        crm,
        "PATCH",
        f"/v0/{BASE_ID}/Contacts",
        json={
            "records": [
                {"id": "recAda00000000001", "fields": {"Name": "Changed"}},
                {"id": "recAda00000000001", "fields": {"Nope": 1}},
            ]
        },
    )

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "UNKNOWN_FIELD_NAME"
    assert crm.airtable.records("Contacts")[0]["fields"]["Name"] == "Ada Lovelace"


def test_delete_removes_the_record_and_links_to_it(crm: Sandbox) -> None:
    meeting = table(crm, "Meetings").create({"Title": "Coffee", "Contact": ["recGrace000000001"]})
    deleted = table(crm, "Contacts").delete("recGrace000000001")
    with pytest.raises(requests.HTTPError) as gone:
        table(crm, "Contacts").get("recGrace000000001")

    assert deleted == {"id": "recGrace000000001", "deleted": True}
    assert error_of(gone.value) == (404, "NOT_FOUND")
    assert table(crm, "Meetings").get(meeting["id"])["fields"] == {"Title": "Coffee"}


# --- metadata --------------------------------------------------------------------------------


def test_whoami_and_the_bases_the_token_sees(crm: Sandbox) -> None:
    airtable = client(crm)

    assert airtable.whoami()["id"].startswith("usr")
    assert [b.id for b in airtable.bases()] == [BASE_ID]
    assert airtable.table(BASE_ID, "Meetings", validate=True).id == crm.airtable.table_id(
        "Meetings"
    )


def test_schema_parses_with_pyairtables_models(crm: Sandbox) -> None:
    schema = client(crm).base(BASE_ID).schema()
    meetings, contacts = schema.table("Meetings"), schema.table("Contacts")
    link = meetings.field("Contact")

    assert [t.name for t in schema.tables] == ["Contacts", "Meetings", "Follow-ups"]
    assert contacts.primary_field_id == contacts.field("Name").id
    assert (
        isinstance(link, MultipleRecordLinksFieldSchema)
        and link.options.linked_table_id == contacts.id
    )
    assert isinstance(meetings.field("Start"), DateTimeFieldSchema)


def test_create_table_and_field_through_pyairtable(crm: Sandbox) -> None:
    base = client(crm).base(BASE_ID)
    created = base.create_table("Companies", [{"name": "Name", "type": "singleLineText"}])
    field = created.create_field("Size", "number", options={"precision": 0})
    created.create({"Name": "Analytical Engines", "Size": 3})

    assert created.schema().field("Size").id == field.id
    assert crm.airtable.records("Companies")[0]["fields"] == {
        "Name": "Analytical Engines",
        "Size": 3,
    }


@pytest.mark.parametrize(
    ("spec", "error_type"),
    [
        ({"name": "Name", "type": "singleLineText"}, "DUPLICATE_OR_EMPTY_FIELD_NAME"),
        ({"name": "When", "type": "date"}, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
        ({"name": "Odd", "type": "hologram"}, "INVALID_FIELD_TYPE"),
    ],
)
def test_bad_fields_are_refused(crm: Sandbox, spec: dict[str, Any], error_type: str) -> None:
    table_id = crm.airtable.table_id("Contacts")
    response = raw(crm, "POST", f"/v0/meta/bases/{BASE_ID}/tables/{table_id}/fields", json=spec)

    assert response.status_code == 422
    assert response.json()["error"]["type"] == error_type


# --- rate limit ------------------------------------------------------------------------------


def test_over_the_rate_limit_every_request_gets_429_until_the_penalty_ends(
    sandbox_factory: SandboxFactory,
) -> None:
    box = sandbox_factory(crm_fixture(), airtable_rate_limit=5, airtable_penalty_seconds=1.0)
    statuses = [raw(box, "GET", f"/v0/{BASE_ID}/Contacts").status_code for _ in range(8)]
    time.sleep(0.2)
    during_penalty = raw(box, "GET", f"/v0/{BASE_ID}/Contacts")
    time.sleep(1.0)
    after = raw(box, "GET", f"/v0/{BASE_ID}/Contacts")

    first_refusal = statuses.index(429)
    assert first_refusal >= 5 and set(statuses[first_refusal:]) == {429}
    assert during_penalty.status_code == 429
    assert during_penalty.json()["error"]["type"] == "RATE_LIMIT_REACHED"
    assert after.status_code == 200


def test_pyairtables_retry_recovers_from_the_penalty(sandbox_factory: SandboxFactory) -> None:
    box = sandbox_factory(
        crm_fixture(contacts=200), airtable_rate_limit=2, airtable_penalty_seconds=0.3
    )
    records = table(box, "Contacts").all(page_size=50)

    assert len(records) == 200
    assert any(e.status == 429 for e in box.requests.entries)


MALFORMED: list[tuple[str, str, Any]] = [
    ("POST", "/Contacts", b"{not json"),
    ("POST", "/Contacts", []),
    ("POST", "/Contacts", {"records": "x"}),
    ("POST", "/Contacts", {"records": [1]}),
    ("POST", "/Contacts", {"fields": 5}),
    ("POST", "/Contacts", {"fields": {"Stage": ["Met"]}}),
    ("POST", "/Contacts", {"fields": {"Last Met": "next tuesday"}}),
    ("POST", "/Contacts", {"fields": {"Update Every (days)": "often"}}),
    ("POST", "/Meetings", {"fields": {"Contact": [{"no": "id"}]}}),
    ("PATCH", "/Contacts", {"records": [{"id": 5, "fields": {}}]}),
    (
        "PATCH",
        "/Contacts",
        {"records": [{"fields": {}}], "performUpsert": {"fieldsToMergeOn": "Email"}},
    ),
    ("PATCH", "/Contacts/recAda00000000001", [1]),
    ("POST", "/Contacts/listRecords", {"pageSize": [1], "sort": "x"}),
    ("POST", "/Contacts/listRecords", {"sort": [{"field": "Nope"}]}),
    ("DELETE", "/Contacts", None),
]


@pytest.mark.parametrize(("method", "path", "body"), MALFORMED)
def test_malformed_record_requests_get_4xx_in_airtables_shape(
    crm: Sandbox, method: str, path: str, body: Any
) -> None:
    data = body if isinstance(body, bytes) or body is None else None
    response = raw(crm, method, f"/v0/{BASE_ID}{path}", data=data, json=None if data else body)

    assert 400 <= response.status_code < 500
    assert isinstance(response.json()["error"]["type"], str)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v0/meta/bases/{base}/tables", {"name": "T", "fields": [{"name": "A", "type": ["x"]}]}),
        ("/v0/meta/bases/{base}/tables", {"name": "T", "fields": "A"}),
        (
            "/v0/meta/bases/{base}/tables/{table}/fields",
            {"name": "S", "type": "singleSelect", "options": {"choices": [1]}},
        ),
        (
            "/v0/meta/bases/{base}/tables/{table}/fields",
            {"name": "L", "type": "multipleRecordLinks", "options": 5},
        ),
        ("/v0/bases/{base}/webhooks", {"specification": {"options": 5}}),
        (
            "/v0/bases/{base}/webhooks",
            {"specification": {"options": {"filters": {"dataTypes": [{}]}}}},
        ),
        (
            "/v0/bases/{base}/webhooks",
            {
                "specification": {
                    "options": {"filters": {"dataTypes": ["tableData"]}, "includes": 3}
                }
            },
        ),
    ],
)
def test_malformed_schema_and_webhook_requests_get_422(crm: Sandbox, path: str, body: Any) -> None:
    url = path.format(base=BASE_ID, table=crm.airtable.table_id("Contacts"))
    response = raw(crm, "POST", url, json=body)

    assert response.status_code == 422
    assert isinstance(response.json()["error"]["type"], str)
