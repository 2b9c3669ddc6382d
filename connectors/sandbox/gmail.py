"""Gmail v1 drafts in the sandbox: create, get, list (q with rfc822msgid:), update, delete.

A draft's raw RFC 2822 message is parsed and kept (headers, subject, recipients, body), so
tests and the demo can read what Followthrough wrote. A control call marks a draft sent.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import email.utils
import itertools
import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from connectors.sandbox.http import HttpError, Request, Response, Router, google_error
from connectors.sandbox.tokens import decode_token, encode_token

BASE = "/gmail/v1/users/{userId}/drafts"
DEFAULT_PAGE = 100
MAX_PAGE = 500


def gmail_error(status: int, message: str, reason: str, grpc_status: str) -> HttpError:
    """An error as Gmail answers it."""
    return HttpError(google_error(status, message, reason=reason, grpc_status=grpc_status))


def _not_found() -> HttpError:
    return gmail_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")


@dataclass
class Draft:
    """One draft: its id, its current message, and whether the user sent it."""

    id: str
    message_id: str
    thread_id: str
    raw: bytes
    parsed: EmailMessage
    internal_date: int
    sent: bool = False
    history: list[str] = field(default_factory=list)  # message ids replaced by updates

    def header(self, name: str) -> str:
        """A header's value ('' when absent)."""
        return str(self.parsed.get(name, ""))

    def text(self) -> str:
        """The plain-text body."""
        part = self.parsed.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _parse_raw(raw: Any) -> tuple[bytes, EmailMessage]:
    if not isinstance(raw, str) or not raw:
        raise gmail_error(400, "Invalid draft", "invalidArgument", "INVALID_ARGUMENT")
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise gmail_error(
            400, "Invalid value for ByteString: raw", "invalidArgument", "INVALID_ARGUMENT"
        ) from None
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(parsed, EmailMessage) or not parsed.keys():
        raise gmail_error(400, "Invalid draft", "invalidArgument", "INVALID_ARGUMENT")
    return data, parsed


class GmailApi:
    """The user's drafts (and the messages sent from them)."""

    def __init__(self, *, user_email: str) -> None:
        self.user_email = user_email
        self.drafts: dict[str, Draft] = {}
        self._ids = itertools.count(1)
        self.history_id = 1000

    def register(self, router: Router) -> None:
        """Serve the drafts paths."""
        router.add("POST", BASE, self.create, name="gmail.drafts.create", api="google", write=True)
        router.add("GET", BASE, self.list, name="gmail.drafts.list", api="google")
        router.add("GET", BASE + "/{id}", self.get, name="gmail.drafts.get", api="google")
        router.add(
            "PUT", BASE + "/{id}", self.update, name="gmail.drafts.update", api="google", write=True
        )
        router.add(
            "DELETE",
            BASE + "/{id}",
            self.delete,
            name="gmail.drafts.delete",
            api="google",
            write=True,
        )

    # --- state -----------------------------------------------------------------------------

    def _new_message(
        self, raw: Any, thread_id: str | None = None
    ) -> tuple[str, str, bytes, EmailMessage]:
        data, parsed = _parse_raw(raw)
        number = next(self._ids)
        message_id = f"{0x18E0000000000000 + number:x}"
        if "Message-ID" not in parsed:
            parsed["Message-ID"] = f"<sandbox.{message_id}@mail.gmail.com>"
            data = parsed.as_bytes()
        self.history_id += 1
        return message_id, thread_id or message_id, data, parsed

    def mark_sent(self, draft_id: str) -> None:
        """The user sends the draft: it leaves the drafts list; its message is labelled SENT."""
        draft = self.drafts.get(draft_id)
        if draft is None or draft.sent:
            raise KeyError(f"no unsent draft {draft_id!r}")
        draft.sent = True

    def summaries(self) -> list[dict[str, Any]]:
        """Every draft in plain terms: id, message id, headers, subject, recipients, body, sent."""
        return [self._summary(d) for d in self.drafts.values()]

    def _summary(self, draft: Draft) -> dict[str, Any]:
        return {
            "id": draft.id, "message_id": draft.message_id, "thread_id": draft.thread_id,
            "rfc822_message_id": draft.header("Message-ID"), "subject": draft.header("Subject"),
            "from": draft.header("From"), "to": _addresses(draft.header("To")),
            "cc": _addresses(draft.header("Cc")), "body": draft.text(), "sent": draft.sent,
            "headers": {k: str(v) for k, v in draft.parsed.items()},
        }  # fmt: skip

    def snapshot(self) -> list[dict[str, Any]]:
        """The drafts, as `summaries`."""
        return self.summaries()

    # --- handlers --------------------------------------------------------------------------

    def _check_user(self, request: Request) -> None:
        user = request.params["userId"]
        if user not in ("me", self.user_email):
            raise gmail_error(
                403, f"Delegation denied for {self.user_email}", "forbidden", "PERMISSION_DENIED"
            )

    def _draft(self, request: Request) -> Draft:
        self._check_user(request)
        draft = self.drafts.get(request.params["id"])
        if draft is None or draft.sent:
            raise _not_found()
        return draft

    def create(self, request: Request) -> Response:
        """drafts.create from {"message": {"raw": base64url RFC 2822}}."""
        self._check_user(request)
        body = request.json()
        message = body.get("message") if isinstance(body, dict) else None
        raw = message.get("raw") if isinstance(message, dict) else None
        message_id, thread_id, data, parsed = self._new_message(
            raw, (message or {}).get("threadId")
        )
        draft_id = f"r{8000000000000000000 + len(self.drafts) + 1}"
        draft = Draft(draft_id, message_id, thread_id, data, parsed, int(time.time() * 1000))
        self.drafts[draft_id] = draft
        return Response(200, self._reference(draft))

    def update(self, request: Request) -> Response:
        """drafts.update: the draft keeps its id and gets a new message."""
        draft = self._draft(request)
        body = request.json()
        message = body.get("message") if isinstance(body, dict) else None
        raw = message.get("raw") if isinstance(message, dict) else None
        message_id, _, data, parsed = self._new_message(raw, draft.thread_id)
        draft.history.append(draft.message_id)
        draft.message_id, draft.raw, draft.parsed = message_id, data, parsed
        draft.internal_date = int(time.time() * 1000)
        return Response(200, self._reference(draft))

    def delete(self, request: Request) -> Response:
        """drafts.delete (204, empty)."""
        draft = self._draft(request)
        del self.drafts[draft.id]
        return Response(204, None)

    def get(self, request: Request) -> Response:
        """drafts.get in format full (default), metadata, minimal or raw."""
        draft = self._draft(request)
        form = request.arg("format", "full")
        if form not in ("full", "metadata", "minimal", "raw"):
            raise gmail_error(
                400, f"Invalid value at 'format' ({form})", "invalidArgument", "INVALID_ARGUMENT"
            )
        return Response(200, {"id": draft.id, "message": self._message(draft, form or "full")})

    def list(self, request: Request) -> Response:
        """drafts.list with maxResults, pageToken and q (rfc822msgid:, or words in subject/body)."""
        self._check_user(request)
        size = _page_size(request.arg("maxResults"))
        offset = _offset(request.arg("pageToken"))
        matching = [
            d for d in self.drafts.values() if not d.sent and _matches(d, request.arg("q") or "")
        ]
        matching.sort(key=lambda d: -d.internal_date)
        page = matching[offset : offset + size]
        body: dict[str, Any] = {"resultSizeEstimate": len(matching)}
        if page:
            body["drafts"] = [
                {"id": d.id, "message": {"id": d.message_id, "threadId": d.thread_id}} for d in page
            ]
        if offset + size < len(matching):
            body["nextPageToken"] = encode_token({"o": offset + size})
        return Response(200, body)

    def _reference(self, draft: Draft) -> dict[str, Any]:
        labels = ["SENT"] if draft.sent else ["DRAFT"]
        return {
            "id": draft.id,
            "message": {"id": draft.message_id, "threadId": draft.thread_id, "labelIds": labels},
        }

    def _message(self, draft: Draft, form: str) -> dict[str, Any]:
        message: dict[str, Any] = self._reference(draft)["message"]
        if form == "minimal":
            return message
        message.update({
            "snippet": " ".join(draft.text().split())[:200], "historyId": str(self.history_id),
            "internalDate": str(draft.internal_date), "sizeEstimate": len(draft.raw),
        })  # fmt: skip
        if form == "raw":
            message["raw"] = _b64(draft.raw)
        else:
            message["payload"] = _payload(draft.parsed, "", headers_only=form == "metadata")
        return message


def _payload(part: Any, part_id: str, *, headers_only: bool = False) -> dict[str, Any]:
    """A MIME part as Gmail's MessagePart."""
    out: dict[str, Any] = {
        "partId": part_id, "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }  # fmt: skip
    if headers_only:
        return {"mimeType": out["mimeType"], "headers": out["headers"]}
    if part.is_multipart():
        out["body"] = {"size": 0}
        prefix = f"{part_id}." if part_id else ""
        out["parts"] = [_payload(p, f"{prefix}{i}") for i, p in enumerate(part.iter_parts())]
    else:
        data = part.get_payload(decode=True) or b""
        out["body"] = {"size": len(data), **({"data": _b64(data)} if data else {})}
    return out


def _addresses(value: str) -> list[str]:
    return [addr for _, addr in email.utils.getaddresses([value]) if addr] if value else []


def _matches(draft: Draft, query: str) -> bool:
    """Gmail search for the terms the sandbox knows: rfc822msgid:, subject:, to:, bare words."""
    for term in re.findall(r'\S+:"[^"]*"|"[^"]*"|\S+', query):
        name, _, value = term.partition(":") if ":" in term else ("", "", term)
        value = value.strip('"').lower()
        if name == "rfc822msgid":
            if draft.header("Message-ID").strip().strip("<>").lower() != value.strip("<>"):
                return False
        elif name == "subject":
            if value not in draft.header("Subject").lower():
                return False
        elif name == "to":
            if not any(value in a.lower() for a in _addresses(draft.header("To"))):
                return False
        elif value not in (draft.header("Subject") + " " + draft.text()).lower():
            return False
    return True


def _page_size(raw: str | None) -> int:
    try:
        size = int(raw) if raw else DEFAULT_PAGE
    except ValueError:
        raise gmail_error(
            400, f"Invalid value '{raw}' for maxResults", "invalidArgument", "INVALID_ARGUMENT"
        ) from None
    return max(1, min(size, MAX_PAGE))


def _offset(token: str | None) -> int:
    if not token:
        return 0
    cursor = decode_token(token)
    if cursor is None or not isinstance(cursor.get("o"), int):
        raise gmail_error(400, "Invalid pageToken", "invalidArgument", "INVALID_ARGUMENT")
    return int(cursor["o"])
