"""Linking an account's Google from a browser: GET /accounts/google/link and its callback.

`followthrough accounts add NAME --web-link` prints a one-time link (workflows.google_links)
to /accounts/google/link?token=...; the person opens it, is sent to Google's consent screen,
and Google sends the browser back to /accounts/google/callback, where the credentials are
stored in the account, sealed. `GoogleLinks` is what the web context uses for it; the OAuth
client (type Web application) must list PUBLIC_URL/accounts/google/callback as a redirect URI.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connectors.errors import FollowthroughError, RetryLater, UserActionRequired
from connectors.google.web_consent import consent_url, credentials_from_code
from service.logging import get_logger, register_secret
from service.web.context import WebContext
from workflows.accounts import AccountBook
from workflows.google_links import LinkRefused, finish_link, issue_link, open_link
from workflows.runtime import Runtime
from workflows.sealing import Sealer

LINK_PATH = "/accounts/google/link"
CALLBACK_PATH = "/accounts/google/callback"

router = APIRouter(prefix="/accounts/google", tags=["accounts"])
log = get_logger("followthrough.accounts")


class GoogleLinks:
    """One-time links to link an account's Google, and the consent they lead to."""

    def __init__(
        self,
        store: Runtime | AccountBook,
        sealer: Sealer,
        client_secrets_file: Path,
        public_url: str,
    ) -> None:
        self._db, self._sealer = store.db, sealer
        self._client = client_secrets_file
        self._base = public_url.rstrip("/")

    def link_for(self, account: str) -> str:
        """A new one-time link for the account (the previous one is void)."""
        token = issue_link(self._db, self._sealer, account)
        register_secret(token)
        return f"{self._base}{LINK_PATH}?token={token}"

    def consent(self, token: str) -> str:
        """Google's consent screen for the link's account; LinkRefused for a bad link."""
        link = open_link(self._db, self._sealer, token)
        return consent_url(self._client, self._redirect, token, link.verifier)

    def finish(self, state: str, code: str) -> str:
        """Store the credentials Google's code grants in the link's account; its name."""
        link = open_link(self._db, self._sealer, state)
        credentials = credentials_from_code(self._client, self._redirect, code, link.verifier)
        finish_link(self._db, self._sealer, link, credentials)
        log.info("account.google_linked", account=link.account, scopes=list(credentials.scopes))
        return link.account

    @property
    def _redirect(self) -> str:
        return f"{self._base}{CALLBACK_PATH}"


def _page(status: int, title: str, text: str) -> HTMLResponse:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _refused(error: FollowthroughError) -> HTMLResponse:
    if isinstance(error, RetryLater):
        return _page(503, "Try again in a moment", str(error))
    status = 403 if isinstance(error, LinkRefused) else 400
    return _page(status, "Google is not linked", str(error))


@router.get("/link", response_class=HTMLResponse, summary="Follow a one-time link")
async def follow_link(request: Request, token: Annotated[str, Query(max_length=2000)]) -> Response:
    """Send the browser to Google's consent screen for the link's account."""
    context: WebContext = request.app.state.context
    try:
        url = await run_in_threadpool(context.google_link_consent, token)
    except (UserActionRequired, RetryLater) as error:
        return _refused(error)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/callback", response_class=HTMLResponse, summary="Google's answer to a consent")
async def consent_answer(
    request: Request,
    state: Annotated[str, Query(max_length=2000)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Store the credentials in the account whose link led here; say what happened."""
    if code is None:
        reason = "access was not allowed" if error == "access_denied" else f"Google said {error}"
        return _page(400, "Google is not linked", f"{reason}; open the link again to retry.")
    context: WebContext = request.app.state.context
    try:
        account = await run_in_threadpool(context.google_link_finish, state, code)
    except (UserActionRequired, RetryLater) as failure:
        return _refused(failure)
    return _page(
        200, "Google is linked", f"Followthrough now works for account {account}. "
        "You can close this page.",
    )  # fmt: skip
