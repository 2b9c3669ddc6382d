"""Webhook pings are accepted only with the right MAC over the raw body, as Airtable signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from pyairtable.models import WebhookNotification

from connectors.airtable.webhooks import mac_matches

SECRET = base64.b64encode(b"\x01\x02 sandbox secret \xff" * 3).decode()
BODY = json.dumps(
    {"base": {"id": "appX"}, "webhook": {"id": "achY"}, "timestamp": "2026-03-02T10:00:00.000Z"},
    separators=(",", ":"),
).encode()


KEY = base64.b64decode(SECRET)


def sign(body: bytes, secret_b64: str = SECRET) -> str:
    digest = hmac.new(base64.b64decode(secret_b64), body, hashlib.sha256).hexdigest()
    return f"hmac-sha256={digest}"


def test_a_correctly_signed_ping_verifies_as_pyairtable_would() -> None:
    header = sign(BODY)
    WebhookNotification.from_request(BODY.decode(), header, SECRET)  # pyairtable agrees
    assert mac_matches(BODY, header, KEY)


@pytest.mark.parametrize(
    "header",
    [
        sign(BODY + b" "),
        sign(BODY, base64.b64encode(b"another secret").decode()),
        sign(BODY).upper(),
        "",
        "hmac-sha256=",
        sign(BODY)[:-1],
    ],
)
def test_a_wrong_mac_is_refused(header: str) -> None:
    assert not mac_matches(BODY, header, KEY)


def test_the_mac_is_checked_over_raw_bytes_not_reserialized_json() -> None:
    spaced = b'{"base": {"id": "appX"}, "webhook": {"id": "achY"}, "timestamp": "t"}'
    assert mac_matches(spaced, sign(spaced), KEY)
    assert not mac_matches(spaced, sign(json.dumps(json.loads(spaced)).encode()[:-1]), KEY)
