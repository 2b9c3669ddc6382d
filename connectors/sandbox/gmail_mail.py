"""Gmail messages in the sandbox: the ones a draft became or a contact sent, their threads.

A message is kept as parsed RFC 2822 with its labels; drafts (connectors.sandbox.gmail) are
messages too, labelled DRAFT. Served here: messages.get and threads.get (format full, raw,
metadata with metadataHeaders, minimal), messages.list (labelIds, q, paging) and getProfile.
What a gmail.metadata token may not ask for (`q`, format full or raw) is refused in oauth.py.

Still differs from Gmail: a message's format=metadata carries no snippet (Gmail sends one to a
token with a body-reading scope; a client must not need it); editing a subject keeps the thread.
"""

from __future__ import annotations

import base64
import email.utils
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from connectors.sandbox.gmail_history import History
from connectors.sandbox.gmail_params import epoch_ms, gmail_error, message_format, not_found, page
from connectors.sandbox.http import Request, Response, Router

USER = "/gmail/v1/users/{userId}"


@dataclass(kw_only=True)
class MailMessage:
    """One message: its Gmail id, thread, labels and parsed RFC 2822 content."""

    message_id: str
    thread_id: str
    raw: bytes
    parsed: EmailMessage
    internal_date: int  # epoch milliseconds
    labels: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """A header's value ('' when absent)."""
        return str(self.parsed.get(name, ""))

    def text(self) -> str:
        """The plain-text body."""
        part = self.parsed.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]

    def resource(self, form: str, history_id: int, headers: Iterable[str] = ()) -> dict[str, Any]:
        """The message as Gmail's Message in `form`; `headers` narrows format=metadata."""
        message: dict[str, Any] = {
            "id": self.message_id, "threadId": self.thread_id, "labelIds": list(self.labels),
        }  # fmt: skip
        if form == "minimal":
            return message
        message.update({
            "historyId": str(history_id), "internalDate": str(self.internal_date),
            "sizeEstimate": len(self.raw),
        })  # fmt: skip
        if form == "raw":
            message.update(raw=b64(self.raw), snippet=self._snippet())
        elif form == "metadata":
            wanted = {h.lower() for h in headers}
            kept = [(k, v) for k, v in self.parsed.items() if not wanted or k.lower() in wanted]
            message["payload"] = {
                "mimeType": self.parsed.get_content_type(),
                "headers": [{"name": k, "value": str(v)} for k, v in kept],
            }
        else:
            message.update(payload=_payload(self.parsed, ""), snippet=self._snippet())
        return message

    def _snippet(self) -> str:
        return " ".join(self.text().split())[:200]


class Mailbox:
    """The user's messages other than drafts, threads over all of them, and the history."""

    def __init__(self, user_email: str, drafts: Callable[[], Iterable[MailMessage]]) -> None:
        self.user_email = user_email
        self.messages: dict[str, MailMessage] = {}
        self.history = History()
        self._drafts = drafts
        self._ids = itertools.count(1)

    def register(self, router: Router) -> None:
        """Serve messages, threads and the profile (history: see gmail_history)."""
        router.add("GET", USER + "/profile", self.profile, name="gmail.getProfile", api="google")
        router.add("GET", USER + "/messages", self.list, name="gmail.messages.list", api="google")
        router.add(
            "GET", USER + "/messages/{id}", self.get, name="gmail.messages.get", api="google"
        )
        router.add(
            "GET", USER + "/threads/{id}", self.thread, name="gmail.threads.get", api="google"
        )
        router.add(
            "GET",
            USER + "/history",
            lambda request: self.history.list(self.check_user(request)),
            name="gmail.history.list",
            api="google",
        )

    def new_message_id(self) -> str:
        """A fresh Gmail message id (16 hex digits, as Gmail's)."""
        return f"{0x18E0000000000000 + next(self._ids):x}"

    def add(self, message: MailMessage) -> None:
        """Store a sent or received message and record its arrival."""
        self.messages[message.message_id] = message
        self.history.added(message)

    def receive(self, thread_id: str, sender: str, body: str, at: str | None = None) -> MailMessage:
        """A reply from `sender` in a thread: INBOX and UNREAD, answering its last message."""
        earlier = [m for m in self.thread_messages(thread_id) if "DRAFT" not in m.labels]
        if not earlier:
            raise KeyError(f"no sent or received message in thread {thread_id!r}")
        last, when, message_id = earlier[-1], epoch_ms(at), self.new_message_id()
        subject = last.header("Subject")
        reply = EmailMessage()
        reply["From"] = sender
        reply["To"] = self.user_email
        reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        reply["Date"] = email.utils.formatdate(when / 1000, usegmt=True)
        reply["Message-ID"] = f"<reply.{message_id}@mail.example>"
        reply["In-Reply-To"] = last.header("Message-ID")
        reply["References"] = f"{last.header('References')} {last.header('Message-ID')}".strip()
        reply.set_content(body)
        message = MailMessage(
            message_id=message_id, thread_id=thread_id, raw=reply.as_bytes(), parsed=reply,
            internal_date=when, labels=["INBOX", "UNREAD"],
        )  # fmt: skip
        self.add(message)
        return message

    def all_messages(self) -> list[MailMessage]:
        """Every message, drafts included, oldest first."""
        return sorted([*self.messages.values(), *self._drafts()], key=lambda m: m.internal_date)

    def thread_messages(self, thread_id: str) -> list[MailMessage]:
        """The messages of one thread, oldest first (drafts included)."""
        return [m for m in self.all_messages() if m.thread_id == thread_id]

    # --- handlers --------------------------------------------------------------------------

    def check_user(self, request: Request) -> Request:
        """Refuse another user's mailbox as Gmail does."""
        if request.params["userId"] not in ("me", self.user_email):
            raise gmail_error(
                403, f"Delegation denied for {self.user_email}", "forbidden", "PERMISSION_DENIED"
            )
        return request

    def profile(self, request: Request) -> Response:
        """users.getProfile: address, totals and the current historyId."""
        self.check_user(request)
        messages = self.all_messages()
        return Response(200, {
            "emailAddress": self.user_email, "messagesTotal": len(messages),
            "threadsTotal": len({m.thread_id for m in messages}),
            "historyId": str(self.history.current),
        })  # fmt: skip

    def get(self, request: Request) -> Response:
        """messages.get in any format (metadataHeaders narrow format=metadata)."""
        self.check_user(request)
        found = {m.message_id: m for m in self.all_messages()}.get(request.params["id"])
        if found is None:
            raise not_found()
        form = message_format(request)
        return Response(
            200, found.resource(form, self.history.current, request.args("metadataHeaders"))
        )

    def thread(self, request: Request) -> Response:
        """threads.get: every message of the thread, oldest first, in the format asked."""
        self.check_user(request)
        messages = self.thread_messages(request.params["id"])
        if not messages:
            raise not_found()
        form, headers = message_format(request), request.args("metadataHeaders")
        current = self.history.current
        return Response(200, {
            "id": request.params["id"], "historyId": str(current),
            "messages": [m.resource(form, current, headers) for m in messages],
        })  # fmt: skip

    def list(self, request: Request) -> Response:
        """messages.list newest first, filtered by every one of labelIds and by q."""
        self.check_user(request)
        labels = set(request.args("labelIds"))
        query = request.arg("q") or ""
        matching = [
            m
            for m in reversed(self.all_messages())
            if labels <= set(m.labels) and matches(m, query)
        ]
        return Response(200, page(request, matching, "messages", _message_ref))


def _message_ref(message: MailMessage) -> dict[str, Any]:
    return {"id": message.message_id, "threadId": message.thread_id}


def b64(data: bytes) -> str:
    """base64url without padding, as Gmail encodes bodies."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _payload(part: Any, part_id: str) -> dict[str, Any]:
    """A MIME part as Gmail's MessagePart."""
    out: dict[str, Any] = {
        "partId": part_id, "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }  # fmt: skip
    if part.is_multipart():
        out["body"] = {"size": 0}
        prefix = f"{part_id}." if part_id else ""
        out["parts"] = [_payload(p, f"{prefix}{i}") for i, p in enumerate(part.iter_parts())]
    else:
        data = part.get_payload(decode=True) or b""
        out["body"] = {"size": len(data), **({"data": b64(data)} if data else {})}
    return out


def addresses(value: str) -> list[str]:
    """The bare addresses of an address header."""
    return [addr for _, addr in email.utils.getaddresses([value]) if addr] if value else []


def matches(message: MailMessage, query: str) -> bool:
    """Gmail search for the terms the sandbox knows: rfc822msgid:, subject:, to:, bare words."""
    for term in re.findall(r'\S+:"[^"]*"|"[^"]*"|\S+', query):
        name, _, value = term.partition(":") if ":" in term else ("", "", term)
        value = value.strip('"').lower()
        if name == "rfc822msgid":
            if message.header("Message-ID").strip().strip("<>").lower() != value.strip("<>"):
                return False
        elif name == "subject":
            if value not in message.header("Subject").lower():
                return False
        elif name == "to":
            if not any(value in a.lower() for a in addresses(message.header("To"))):
                return False
        elif value not in (message.header("Subject") + " " + message.text()).lower():
            return False
    return True
