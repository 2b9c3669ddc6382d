"""Calendar push channels: events.watch opens one, every change POSTs to its address.

Messages carry Google's headers: X-Goog-Channel-ID, X-Goog-Channel-Token (when set),
X-Goog-Channel-Expiration, X-Goog-Resource-ID, X-Goog-Resource-URI, X-Goog-Resource-State
(`sync` once when the channel opens, then `exists`) and an increasing X-Goog-Message-Number.

As Google does, an address that is not https:// is refused (400 `push.webhookUrlNotHttps`,
"WebHook callback must be HTTPS: <address>"), except on a loopback host, where tests and the
demo receive their pushes (Google would refuse those too, and could not reach them anyway).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from connectors.addresses import push_address_problem
from connectors.sandbox.http import HttpError, google_error
from connectors.sandbox.push import Notification, Outbox

DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000  # Google's default channel lifetime for events: one week


@dataclass
class Channel:
    """One open push channel."""

    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    address: str
    token: str | None
    expiration_ms: int
    message_number: int = 0

    def resource(self) -> dict[str, Any]:
        """The Channel resource as events.watch returns it."""
        body = {
            "kind": "api#channel", "id": self.id, "resourceId": self.resource_id,
            "resourceUri": self.resource_uri, "expiration": str(self.expiration_ms),
        }  # fmt: skip
        if self.token is not None:
            body["token"] = self.token
        return body


def _invalid(message: str, reason: str = "invalid") -> HttpError:
    return HttpError(google_error(400, message, reason=reason, grpc_status="INVALID_ARGUMENT"))


class Channels:
    """Open channels by id; queues a notification per change for each channel on that calendar."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.open_channels: dict[str, Channel] = {}

    def open(self, calendar_id: str, body: Any, resource_uri: str) -> dict[str, Any]:
        """Validate a watch request, open the channel and send its `sync` message."""
        if not isinstance(body, dict) or not body.get("id") or not body.get("address"):
            raise _invalid(
                "Required channel fields are missing: id and address.", reason="required"
            )
        if body.get("type", "web_hook") not in ("web_hook", "webhook"):
            raise _invalid(f"Invalid channel type: {body.get('type')}.", reason="invalid")
        if push_address_problem(str(body["address"])) is not None:
            raise _invalid(
                f"WebHook callback must be HTTPS: {body['address']}",
                reason="push.webhookUrlNotHttps",
            )
        if body["id"] in self.open_channels:
            raise _invalid(f"Channel id {body['id']} not unique", reason="channelIdNotUnique")
        now_ms = int(time.time() * 1000)
        expiration = int(body.get("expiration") or now_ms + DEFAULT_TTL_MS)
        channel = Channel(
            id=str(body["id"]), resource_id=secrets.token_urlsafe(20), resource_uri=resource_uri,
            calendar_id=calendar_id, address=str(body["address"]), token=body.get("token"),
            expiration_ms=expiration,
        )  # fmt: skip
        self.open_channels[channel.id] = channel
        self._notify(channel, "sync")
        return channel.resource()

    def stop(self, body: Any) -> None:
        """Close a channel named by id and resourceId; 404 when there is no such channel."""
        channel = self.open_channels.get(str(body.get("id"))) if isinstance(body, dict) else None
        if channel is None or body.get("resourceId") != channel.resource_id:
            name = body.get("id") if isinstance(body, dict) else None
            message = f"Channel '{name}' not found for project 'sandbox'"
            raise HttpError(google_error(404, message, reason="notFound", grpc_status="NOT_FOUND"))
        del self.open_channels[channel.id]

    def changed(self, calendar_id: str) -> None:
        """Queue an `exists` message on every live channel watching this calendar."""
        now_ms = int(time.time() * 1000)
        for channel in list(self.open_channels.values()):
            if channel.expiration_ms <= now_ms:
                del self.open_channels[channel.id]
            elif channel.calendar_id == calendar_id:
                self._notify(channel, "exists")

    def _notify(self, channel: Channel, state: str) -> None:
        channel.message_number += 1
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": formatdate(channel.expiration_ms / 1000, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": f"https://www.googleapis.com{channel.resource_uri}?alt=json",
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel.message_number),
            "Content-Length": "0",
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        self.outbox.send(Notification(channel.address, headers))
