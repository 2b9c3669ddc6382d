"""Webhook receivers: Google Calendar push notifications and Airtable webhook pings.

Both verify before they enqueue, compare secrets in constant time, answer fast and leave the
work to an actor. A notification names a channel, not an account: it goes to the account
whose own stored secret for that channel verifies it (channel ids are random, so that is one
account; an id two accounts hold is still told apart by their secrets). A replayed
notification only triggers another incremental read, which is harmless: the read starts
from the stored cursor.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from connectors.airtable.webhooks import mac_matches
from connectors.google.calendar import verify_channel
from service.logging import get_logger
from service.web.context import WebContext

MAC_PREFIX = "hmac-sha256="

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
log = get_logger("followthrough.webhooks")


def _context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


@router.post(
    "/google/calendar",
    status_code=200,
    response_class=Response,
    responses={403: {"description": "Bad channel token"}, 404: {"description": "Unknown channel"}},
    summary="Google Calendar push notification",
)
async def calendar_notification(
    request: Request,
    channel_id: Annotated[str | None, Header(alias="X-Goog-Channel-ID")] = None,
    channel_token: Annotated[str | None, Header(alias="X-Goog-Channel-Token")] = None,
    resource_state: Annotated[str | None, Header(alias="X-Goog-Resource-State")] = None,
) -> Response:
    """Verify the channel id and token, then enqueue an incremental sync of the account's
    calendar.

    The first message of a channel (resource state "sync") only confirms it: nothing to read.
    """
    context = _context(request)
    owners = await run_in_threadpool(context.calendar_channel_owners, channel_id or "")
    if not channel_id or not owners:
        log.warning("webhook.rejected", source="calendar", reason="unknown channel")
        raise HTTPException(404, "unknown channel")
    accounts = [a for a, token in owners if verify_channel(request.headers, channel_id, token)]
    if not accounts:
        log.warning("webhook.rejected", source="calendar", channel=channel_id, reason="bad token")
        raise HTTPException(403, "bad channel token")
    for account in accounts:
        if resource_state != "sync":
            await run_in_threadpool(context.enqueue_calendar_sync, account, channel_id)
        log.info(
            "webhook.accepted",
            source="calendar",
            account=account,
            channel=channel_id,
            state=resource_state,
        )
    return Response(status_code=200)


@router.post(
    "/airtable",
    status_code=200,
    response_class=Response,
    responses={
        400: {"description": "Malformed body"},
        401: {"description": "Missing or bad MAC"},
        404: {"description": "Unknown webhook"},
    },
    summary="Airtable webhook ping",
)
async def airtable_ping(
    request: Request,
    content_mac: Annotated[str | None, Header(alias="X-Airtable-Content-MAC")] = None,
) -> Response:
    """Verify the MAC over the raw body, then enqueue a read of the account's webhook payloads."""
    if not content_mac or not content_mac.startswith(MAC_PREFIX):
        raise HTTPException(401, "missing or malformed X-Airtable-Content-MAC")
    body = await request.body()
    webhook_id = _webhook_id(body)
    context = _context(request)
    owners = await run_in_threadpool(context.airtable_webhook_owners, webhook_id)
    if not owners:
        log.warning("webhook.rejected", source="airtable", reason="unknown webhook")
        raise HTTPException(404, "unknown webhook")
    accounts = [account for account, secret in owners if mac_matches(body, content_mac, secret)]
    if not accounts:
        log.warning("webhook.rejected", source="airtable", webhook=webhook_id, reason="bad MAC")
        raise HTTPException(401, "bad MAC")
    for account in accounts:
        await run_in_threadpool(context.enqueue_airtable_fetch, account, webhook_id)
        log.info("webhook.accepted", source="airtable", account=account, webhook=webhook_id)
    return Response(status_code=200)


def _webhook_id(body: bytes) -> str:
    """The webhook id from a ping body: {"base": {"id"}, "webhook": {"id"}, "timestamp"}."""
    try:
        payload: Any = json.loads(body)
        webhook_id = payload["webhook"]["id"]
    except (ValueError, TypeError, KeyError, RecursionError):  # RecursionError: nested too deep
        raise HTTPException(400, "body is not an Airtable webhook ping") from None
    if not isinstance(webhook_id, str) or not webhook_id:
        raise HTTPException(400, "body is not an Airtable webhook ping")
    return webhook_id
