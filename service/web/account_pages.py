"""Each stored account's status page: GET /accounts/NAME/?key=KEY (the default account's is /).

A hosted deployment serves many people from one web app, so a page opens only with its
account's page key (workflows.page_keys: printed by `accounts add`, made anew by `accounts
page-link`). An unknown account, a disabled one and a wrong key get the same 404, which
says nothing of whether the account exists. The key is in the link, so the page is never
cached and sends no Referer to the Gmail and Airtable links it holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from service.web.context import WebContext
from service.web.status import render_status
from workflows.page_keys import PAGE_PATH

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "none"}

router = APIRouter(tags=["status"])


@router.get(
    PAGE_PATH,
    response_class=HTMLResponse,
    responses={404: {"description": "No such page (unknown account or wrong key)"}},
    summary="An account's status page",
)
async def account_page(
    request: Request,
    account: Annotated[str, Path(max_length=64)],
    key: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The account's week at a glance, as `/` shows the default account's; only with its key."""
    context: WebContext = request.app.state.context
    home = await run_in_threadpool(context.account_home, account, key) if key else None
    if home is None:
        body = "<!doctype html><title>Not found</title><p>No such page.</p>"
        return HTMLResponse(body, status_code=404, headers=PRIVATE)
    return HTMLResponse(render_status(home), headers=PRIVATE)
